// End-to-end test of the test stand and GraphiQL in headless Chromium against a running pocket
// server. Usage: node e2e/run.mjs BASE_URL SCREENSHOT_DIR [API_TOKEN]
// With API_TOKEN (a server started with that token) it runs the token tour instead of the full one;
// with POCKET_PEER set to a second, empty server, the network tour (peers, a fork, a reorganisation).
// Fails on any request to a non-loopback URL, any console error, or any step that does not happen.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, shots, token] = process.argv.slice(2);
if (!base || !shots) {
  console.error("usage: node e2e/run.mjs BASE_URL SCREENSHOT_DIR [API_TOKEN]");
  process.exit(2);
}
mkdirSync(join(shots, "panels"), { recursive: true });
rmSync(join(shots, "failure.png"), { force: true });

const problems = [];
const loopback = (url) => {
  if (url.startsWith("data:") || url.startsWith("blob:") || url === "about:blank") return true;
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
  ],
});
const step = async (name, fn) => {
  process.stdout.write(`- ${name}\n`);
  await fn();
};

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (loopback(url)) return route.continue();
    problems.push(`request to a non-loopback URL: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.setDefaultTimeout(10_000);

  const api = async (query, variables = {}) => {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
  const balances = async () => page.locator('[data-testid="balance"]').allInnerTexts();
  // Everything the page sends — URLs, headers, bodies, WebSocket frames — to prove a secret never
  // leaves the browser.
  const sent = [];
  page.on("request", (request) => sent.push(request.url(), JSON.stringify(request.headers()), request.postData() ?? ""));
  page.on("websocket", (socket) => socket.on("framesent", (frame) => sent.push(String(frame.payload))));

  if (process.env.POCKET_QUICKSTART) {
    await quickstartTour();
  } else if (process.env.POCKET_PEER) {
    await networkTour(process.env.POCKET_PEER);
  } else if (token) {
    await tokenTour();
  } else {
    await fullTour();
  }

  async function fullTour() {
    await step("the test stand loads and goes live", async () => {
      await page.goto(`${base}/`);
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
    });

    await step("reset replays the training scenario (behind a confirmation)", async () => {
      await page.click('[data-testid="reset"]');
      await page.click('[data-testid="reset-confirm"]');
      await page.locator('[data-testid="notice"]', { hasText: "8 training wallets" }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="wallet-row"]').length === 8);
      const seen = await balances();
      if (seen.join(",") !== "75,22,1,0,0,0,1,1") throw new Error(`balances after reset: ${seen}`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="pool-pending"]').length === 2);
    });

    const addresses = await page.locator('[data-testid="wallet-row"] code.address').allInnerTexts();

    await step("create a wallet", async () => {
      await page.click('[data-testid="new-wallet"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="wallet-row"]').length === 9);
    });
    const fresh = (await page.locator('[data-testid="wallet-row"] code.address').allInnerTexts())[8];

    await step("send, and see the pending entry", async () => {
      await page.fill('[data-testid="send-from"]', addresses[0]);
      await page.fill('[data-testid="send-to"]', fresh);
      await page.fill('[data-testid="send-amount"]', "5");
      await page.click('[data-testid="send-submit"]');
      await page.locator('[data-testid="send-ok"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="pool-pending"]').length === 3);
      await page.screenshot({ path: join(shots, "1-stand-after-send.png"), fullPage: true });
    });

    await step("mine from the form", async () => {
      await page.fill('[data-testid="mine-address"]', addresses[1]);
      await page.fill('[data-testid="mine-count"]', "5");
      await page.click('[data-testid="mine-submit"]');
      await page.locator('[data-testid="block-10"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="pool-pending"]').length === 0);
    });

    await step("a block mined elsewhere appears live, without a reload", async () => {
      const navigations = [];
      page.on("framenavigated", (frame) => navigations.push(frame.url()));
      const mined = await api('mutation($a: String!) { mineBlock(address: $a) { height } }', { a: addresses[2] });
      if (mined.data?.mineBlock?.height !== 11) throw new Error(`external mine: ${JSON.stringify(mined)}`);
      await page.locator('[data-testid="block-11"]').waitFor({ timeout: 5_000 });
      if (navigations.length) throw new Error(`the page reloaded: ${navigations}`);
    });

    await step("a refused send shows its message next to the field and in the pool", async () => {
      await page.fill('[data-testid="send-from"]', addresses[3]);
      await page.fill('[data-testid="send-to"]', addresses[0]);
      await page.fill('[data-testid="send-amount"]', "3");
      await page.click('[data-testid="send-submit"]');
      await page.locator('[data-testid="send-form"] [data-testid="field-error"]', { hasText: "units available" }).waitFor();
      await page.locator('[data-testid="pool-rejected"]', { hasText: "units available" }).first().waitFor();
    });

    await step("a block's detail shows its header and transactions", async () => {
      await page.click('[data-testid="block-10"]');
      const detail = page.locator('[data-testid="block-detail"]');
      await detail.waitFor();
      await detail.locator(".tag.coinbase").first().waitFor();
      await page.screenshot({ path: join(shots, "2-stand-block-detail.png"), fullPage: true });
    });

    await step("GraphiQL loads the schema: the docs pane lists the root types and their fields", async () => {
      await page.goto(`${base}/graphiql`);
      await page.locator(".graphiql-container").waitFor();
      await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
      const docs = page.locator(".graphiql-doc-explorer");
      for (const root of ["query: Query", "mutation: Mutation", "subscription: Subscription"]) {
        await docs.locator("text=" + root).waitFor();
      }
      await docs.locator("a.graphiql-doc-explorer-type-name", { hasText: /^Query$/ }).first().click();
      for (const field of ["blocks", "chain", "wallets", "pool"]) {
        await docs.locator(".graphiql-doc-explorer-field-name", { hasText: new RegExp(`^${field}$`) }).waitFor();
      }
      // Descriptions read as paragraphs: no line break where the source wrapped a sentence.
      await docs.locator(".graphiql-doc-explorer-field-name", { hasText: /^buildTransaction$/ }).first().click();
      const description = docs.locator(".graphiql-markdown-description").first();
      await description.waitFor();
      const breaks = await description.locator("br").count();
      if (breaks > 0) throw new Error(`buildTransaction's description has ${breaks} line breaks`);
      await page.screenshot({ path: join(shots, "3-graphiql-docs.png"), fullPage: true });
    });

    await step("GraphiQL completes field names while typing", async () => {
      const editor = page.locator(".graphiql-query-editor .CodeMirror").first();
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.type("{ cha");
      const hints = page.locator(".CodeMirror-hints");
      await hints.locator("li", { hasText: /^chain$/ }).waitFor();
      await hints.locator("li", { hasText: /^chainstate$/ }).waitFor();
      await page.keyboard.press("Escape");
    });

    await step("GraphiQL runs a query", async () => {
      const editor = page.locator(".graphiql-query-editor .CodeMirror").first();
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.type("query Check { chain { height poolSize } }");
      // GraphiQL re-reads the operation names after a short pause in typing.
      await page.waitForTimeout(800);
      await page.click(".graphiql-execute-button");
      await page.locator(".graphiql-response", { hasText: '"height": 11' }).waitFor();
      await page.screenshot({ path: join(shots, "4-graphiql.png"), fullPage: true });
    });

    await step("mine many blocks from the form (mineBlocks)", async () => {
      await page.goto(`${base}/`);
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await page.fill('[data-testid="mine-address"]', addresses[1]);
      await page.fill('[data-testid="mine-count"]', "0");
      await page.fill('[data-testid="mine-blocks"]', "3");
      await page.click('[data-testid="mine-submit"]');
      await page.locator('[data-testid="mine-ok"]', { hasText: "mined blocks #12–#14" }).waitFor();
      await page.locator('[data-testid="block-14"]').waitFor();
      await page.fill('[data-testid="mine-blocks"]', "1001");
      await page.click('[data-testid="mine-submit"]');
      await page.locator('[data-testid="mine-form"] [data-testid="field-error"]', { hasText: "1 to 1000 blocks" }).waitFor();
    });

    await step("a snapshot is taken, blocks mined after it, and a revert brings the chain back", async () => {
      await page.fill('[data-testid="snapshot-name"]', "before the lesson");
      await page.click('[data-testid="snapshot-take"]');
      await page.locator('[data-testid="snapshot-row"]', { hasText: "before the lesson" }).waitFor();
      const mined = await api('mutation($a: String!) { mineBlocks(address: $a, count: 2) { height } }', { a: addresses[2] });
      if (mined.data?.mineBlocks?.length !== 2) throw new Error(`mine: ${JSON.stringify(mined)}`);
      await page.locator('[data-testid="block-16"]').waitFor();
      await api('mutation { snapshot(name: "after the lesson") { id } }');
      await page.locator('[data-testid="snapshot-row"]', { hasText: "after the lesson" }).waitFor();
      // Revert asks first, naming what goes: the blocks above the snapshot and later snapshots.
      const row = page.locator('[data-testid="snapshot-row"]', { hasText: "before the lesson" });
      await row.locator('[data-testid="snapshot-revert"]').click();
      const question = row.locator('[data-testid="snapshot-revert-question"]');
      await question.waitFor();
      await page.locator('[data-testid="snapshots"]').screenshot({ path: join(shots, "6-snapshot-revert-question.png") });
      const asked = await question.innerText();
      if (!asked.includes("above height 14") || !asked.includes("(after the lesson) goes with it")) {
        throw new Error(`revert question: ${asked}`);
      }
      await question.getByText("cancel").click();
      await question.waitFor({ state: "detached" });
      await page.locator('[data-testid="block-16"]').waitFor();
      await row.locator('[data-testid="snapshot-revert"]').click();
      await row.locator('[data-testid="snapshot-revert-confirm"]').click();
      await page.locator('[data-testid="snapshot-message"]', { hasText: "height 14" }).waitFor();
      await page.locator('[data-testid="snapshot-row"]', { hasText: "after the lesson" }).waitFor({ state: "detached" });
      await page.locator('[data-testid="block-16"]').waitFor({ state: "detached" });
      // Taken elsewhere, it shows up live.
      await api('mutation { snapshot(name: "from the API") { id } }');
      await page.locator('[data-testid="snapshot-row"]', { hasText: "from the API" }).waitFor();
      await page.locator('[data-testid="snapshot-row"]', { hasText: "from the API" }).locator('[data-testid="snapshot-delete"]').click();
      await page.locator('[data-testid="snapshot-row"]', { hasText: "from the API" }).waitFor({ state: "detached" });
    });

    await step("interval mining counts down to the next block, and blocks come by themselves", async () => {
      await page.selectOption('[data-testid="mining-select"]', "AUTO");
      await page.fill('[data-testid="mining-address"]', "");
      await page.click('[data-testid="mining-submit"]');
      const before = await api("{ mining { address } }");
      if (before.data.mining.address === null) {
        await page.locator('[data-testid="mining-error"]', { hasText: "miner address" }).waitFor();
      }
      await page.selectOption('[data-testid="mining-select"]', "INTERVAL");
      await page.fill('[data-testid="mining-address"]', addresses[3]);
      await page.fill('[data-testid="mining-interval"]', "1");
      await page.click('[data-testid="mining-submit"]');
      await page.locator('[data-testid="mining-mode"]', { hasText: "interval" }).waitFor();
      await page.locator('[data-testid="mining-countdown"]', { hasText: "next block in" }).waitFor();
      await page.screenshot({ path: join(shots, "6-stand-mining-and-snapshots.png"), fullPage: true });
      await page.locator('[data-testid="block-16"]').waitFor({ timeout: 10_000 });
      await page.selectOption('[data-testid="mining-select"]', "MANUAL");
      await page.click('[data-testid="mining-submit"]');
      await page.locator('[data-testid="mining-mode"]', { hasText: "manual" }).waitFor();
      await page.locator('[data-testid="mining-countdown"]').waitFor({ state: "detached" });
      // No search runs now: the progress bar is gone, not left at an old height.
      await page.locator('[data-testid="mining-progress"]').waitFor({ state: "detached" });
      // The tree is wider than its panel: it is scrolled so the tip shows.
      await page.waitForFunction(() => {
        const box = document.querySelector('[data-testid="tree-scroll"]');
        return box && box.scrollWidth > box.clientWidth && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
      });
    });

    await step("the explorer opens any address, then a transaction with its live status and merkle path", async () => {
      const explorer = page.locator('[data-testid="explorer"]');
      await page.fill('[data-testid="search"]', "not a thing");
      await page.click('[data-testid="search-go"]');
      await explorer.locator('[data-testid="search-error"]').waitFor();
      const info = await api("query($a: String!) { address(address: $a) { balance txCount } }", { a: addresses[1] });
      await page.fill('[data-testid="search"]', addresses[1]);
      await page.click('[data-testid="search-go"]');
      await explorer.locator('[data-testid="address-balance"]', { hasText: String(info.data.address.balance) }).waitFor();
      await explorer.locator('[data-testid="address-txcount"]', { hasText: String(info.data.address.txCount) }).waitFor();
      await explorer.locator('[data-testid="address-tx"] .link-like').first().click();
      await explorer.locator('[data-testid="tx-status"]', { hasText: "mined in block" }).waitFor();
      await explorer.locator('[data-testid="proof-root"]').waitFor();
      // Confirmations go up live as blocks are mined elsewhere.
      const before = await explorer.locator('[data-testid="tx-status"]').innerText();
      await api('mutation($a: String!) { mineBlock(address: $a) { height } }', { a: addresses[2] });
      await page.waitForFunction((text) => document.querySelector('[data-testid="tx-status"]')?.textContent !== text, before);
      await page.screenshot({ path: join(shots, "7-explorer-transaction.png"), fullPage: true });
    });

    await step("a block found by hash can be tampered with: its checks and its next link turn red", async () => {
      const explorer = page.locator('[data-testid="explorer"]');
      const found = await api("{ block(height: 5) { hash } }");
      await page.fill('[data-testid="search"]', found.data.block.hash);
      await page.click('[data-testid="search-go"]');
      await explorer.locator('[data-testid="block-detail"] h3', { hasText: "Block #5" }).waitFor();
      await explorer.locator('[data-testid="tamper-open"]').click();
      await explorer.locator('[data-testid="tamper-verdict"]', { hasText: "valid" }).waitFor();
      await page.fill('[data-testid="tamper-value"]', "50");
      await explorer.locator('[data-testid="tamper-check"][data-status="FAILED"]', { hasText: "merkle root" }).waitFor();
      await explorer.locator('[data-testid="tamper-verdict"]', { hasText: "invalid" }).waitFor();
      await page.fill('[data-testid="tamper-value"]', "");
      await page.fill('[data-testid="tamper-root"]', "00".repeat(32));
      await explorer.locator('[data-testid="tamper-broken"]', { hasText: "block #6 no longer links" }).waitFor();
      await page.screenshot({ path: join(shots, "8-tamper.png"), fullPage: true });
      // The chain itself is untouched.
      const after = await api("{ block(height: 5) { hash } }");
      if (after.data.block.hash !== found.data.block.hash) throw new Error("the lab changed the chain");
    });

    await step("the lab mines a tampered copy in the browser, then re-links the next block and mines it: both valid", async () => {
      const explorer = page.locator('[data-testid="explorer"]');
      const block5 = (await api("{ block(height: 5) { hash txCount } }")).data.block;
      // Close and reopen: a fresh copy of block #5.
      await explorer.locator('[data-testid="tamper-open"]').click();
      await explorer.locator('[data-testid="tamper-open"]').click();
      const outer = explorer.locator('[data-testid="tamper"]').first();
      // Another timestamp: the header's hash no longer meets the difficulty.
      await outer.locator('[data-testid="tamper-timestamp"]').first().fill("1700000000");
      await outer.locator('[data-testid="tamper-check"][data-status="FAILED"]', { hasText: "proof of work" }).first().waitFor();
      await outer.locator('[data-testid="lab-mine"]').first().click();
      await outer.locator('[data-testid="lab-nonce"]').first().waitFor();
      await outer.locator('[data-testid="tamper-verdict"]', { hasText: /^valid$/ }).first().waitFor();
      await outer.locator('[data-testid="lab-cost"]').first().waitFor();
      await outer.locator('[data-testid="tamper-broken"]', { hasText: "block #6 no longer links" }).first().waitFor();
      // The lab's own rules agree, asked directly with the fields the browser found.
      const nonce = await outer.locator('[data-testid="tamper-nonce"]').first().inputValue();
      const merkleRoot = await outer.locator('[data-testid="tamper-root"]').first().inputValue();
      const asked = await api("query($h: String!, $p: BlockPatch) { explainBlock(hash: $h, patch: $p) { valid hash } }", {
        h: block5.hash, p: { timestamp: 1700000000, merkleRoot, nonce },
      });
      if (!asked.data.explainBlock.valid) throw new Error(`explainBlock says the mined copy is invalid: ${JSON.stringify(asked)}`);
      await outer.locator('[data-testid="lab-next"]').first().click();
      const nested = explorer.locator('[data-testid="lab-next-block"]');
      await nested.locator('[data-testid="tamper-check"][data-status="FAILED"]', { hasText: "proof of work" }).first().waitFor();
      await nested.locator('[data-testid="lab-mine"]').first().click();
      await nested.locator('[data-testid="tamper-verdict"]', { hasText: /^valid$/ }).first().waitFor();
      await page.screenshot({ path: join(shots, "8b-lab-mining.png"), fullPage: true });
      const chain = await api("{ block(height: 5) { hash } }");
      if (chain.data.block.hash !== block5.hash) throw new Error("the lab changed the chain");
    });

    await step("the browser wallet makes its key here, is paid, pays another address, and never sends its key", async () => {
      await page.click('[data-testid="wallet-create"]');
      const wallet = page.locator('[data-testid="browser-wallet"]');
      await wallet.locator('[data-testid="wallet-warning"]', { hasText: "localStorage" }).waitFor();
      const address = (await wallet.locator('[data-testid="wallet-address"]').innerText()).trim();
      const secret = await page.evaluate(() => localStorage.getItem("pocket.browserWallet.secretKey"));
      if (!/^[0-9a-f]{64}$/.test(secret ?? "")) throw new Error(`no key in localStorage: ${secret}`);
      for (let i = 0; i < 2; i++) await api('mutation($a: String!) { mineBlock(address: $a) { height } }', { a: address });
      await wallet.locator('[data-testid="wallet-balance"]', { hasText: "20" }).waitFor();
      const payee = addresses[4];
      const before = (await api("query($a: String!) { address(address: $a) { balance } }", { a: payee })).data.address.balance;
      await page.fill('[data-testid="wallet-to"]', payee);
      await page.fill('[data-testid="wallet-amount"]', "12");
      await page.click('[data-testid="wallet-pay"]');
      await wallet.locator('[data-testid="wallet-status"]', { hasText: "pending" }).waitFor();
      await api('mutation($a: String!) { mineBlock(address: $a) { height } }', { a: addresses[2] });
      await wallet.locator('[data-testid="wallet-status"]', { hasText: "mined in block" }).waitFor();
      await wallet.locator('[data-testid="wallet-balance"]', { hasText: /^8$/ }).waitFor();
      const after = (await api("query($a: String!) { address(address: $a) { balance } }", { a: payee })).data.address.balance;
      if (after !== before + 12) throw new Error(`the payee has ${after}, expected ${before} + 12`);
      await page.screenshot({ path: join(shots, "9-browser-wallet.png"), fullPage: true });
      // The key survives a reload, and no request ever carried it, in any case or encoding.
      await page.reload();
      await page.locator('[data-testid="wallet-address"]', { hasText: address }).waitFor();
      const forms = [secret, secret.toUpperCase(), Buffer.from(secret, "hex").toString("base64"), Buffer.from(secret, "hex").toString("base64url")];
      const leaks = sent.filter((text) => forms.some((form) => text.includes(form)));
      if (leaks.length > 0) throw new Error(`the secret key left the browser: ${leaks[0].slice(0, 200)}`);
      if (!sent.some((text) => text.includes("submitTransaction"))) throw new Error("the recorder saw no submitTransaction");
    });

    await step("the chainstate pages 50 outputs at a time, its panel keeping its height", async () => {
      await api('mutation($a: String!) { mineBlocks(address: $a, count: 60) { height } }', { a: addresses[5] });
      const total = (await api("{ chainstate { totalCount } }")).data.chainstate.totalCount;
      await page.locator('[data-testid="utxo-count"]', { hasText: `50 of ${total}` }).waitFor();
      const before = await page.locator('[data-testid="chainstate"]').boundingBox();
      await page.click('[data-testid="utxo-more"]');
      await page.locator('[data-testid="utxo-count"]', { hasText: `${Math.min(100, total)} of ${total}` }).waitFor();
      const after = await page.locator('[data-testid="chainstate"]').boundingBox();
      if (Math.abs(after.height - before.height) > 2) throw new Error(`the panel grew from ${before.height} to ${after.height} px`);
    });

    await step("the wallets page 50 at a time", async () => {
      for (let i = 0; i < 45; i++) await api("mutation { newWallet { address } }");
      // New wallets announce nothing; a block does, and the page reads its panels again.
      await api('mutation($a: String!) { mineBlock(address: $a) { height } }', { a: addresses[5] });
      const total = (await api("{ wallets { totalCount } }")).data.wallets.totalCount;
      await page.locator('[data-testid="wallet-count"]', { hasText: `50 of ${total}` }).waitFor();
      await page.click('[data-testid="wallets-more"]');
      await page.locator('[data-testid="wallet-count"]', { hasText: `${total} of ${total}` }).waitFor();
      await page.locator('[data-testid="wallets-more"]').waitFor({ state: "detached" });
    });

    await step("dev accounts: a reset to them, a key copied, the browser wallet funded, AUTO sends reported mined, stale wallet messages cleared, a chain of payments dropped, the clock moved", async () => {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
      await page.click('[data-testid="reset"]');
      await page.selectOption('[data-testid="reset-target"]', "ACCOUNTS");
      await page.click('[data-testid="reset-confirm"]');
      await page.locator('[data-testid="notice"]', { hasText: "10 wallets" }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="dev-account"]').length === 10);
      const accounts = (await api("{ devAccounts { address secretKey } }")).data.devAccounts;
      await page.locator('[data-testid="copy-key"]').nth(2).click();
      await page.locator('[data-testid="copy-key"]', { hasText: "copied" }).waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      if (copied !== accounts[2].secretKey) throw new Error(`the clipboard holds ${copied}`);
      // The faucet's form starts with the browser wallet's address.
      const wallet = page.locator('[data-testid="browser-wallet"]');
      const mine = (await wallet.locator('[data-testid="wallet-address"]').innerText()).trim();
      if ((await page.inputValue('[data-testid="fund-to"]')) !== mine) throw new Error("fund does not offer the browser wallet");
      await page.fill('[data-testid="fund-amount"]', "250");
      await page.click('[data-testid="fund-submit"]');
      await page.locator('[data-testid="fund-result"]', { hasText: "mined in block 1" }).waitFor();
      await wallet.locator('[data-testid="wallet-balance"]', { hasText: /^250$/ }).waitFor();
      // AUTO mining: the send form says where the payment was mined, not "pending".
      await page.fill('[data-testid="send-from"]', accounts[0].address);
      await page.fill('[data-testid="send-to"]', accounts[1].address);
      await page.fill('[data-testid="send-amount"]', "5");
      await page.click('[data-testid="send-submit"]');
      await page.locator('[data-testid="send-ok"]', { hasText: /^mined in block #\d+$/ }).waitFor();
      // A refused payment's message goes once the wallet is funded; "Fund this" adds 100.
      await page.fill('[data-testid="wallet-to"]', accounts[1].address);
      await page.fill('[data-testid="wallet-amount"]', "300");
      await page.click('[data-testid="wallet-pay"]');
      await wallet.locator('[data-testid="field-error"]', { hasText: "250 units available" }).waitFor();
      await page.click('[data-testid="wallet-fund"]');
      await wallet.locator('[data-testid="wallet-balance"]', { hasText: /^350$/ }).waitFor();
      await wallet.locator('[data-testid="field-error"]').waitFor({ state: "detached" });
      await page.click('[data-testid="wallet-pay"]');
      await wallet.locator('[data-testid="wallet-status"]', { hasText: "mined in block" }).waitFor();
      await wallet.locator('[data-testid="wallet-balance"]', { hasText: /^50$/ }).waitFor();
      // Two chained payments wait in the pool; dropping the first takes the second along.
      await api("mutation { setMining(mode: MANUAL) { mode } }");
      const send = "mutation($f: String!, $t: String!, $n: Int!) { send(from: $f, to: $t, amount: $n) { status } }";
      await api(send, { f: accounts[0].address, t: accounts[1].address, n: 9000 });
      await api(send, { f: accounts[0].address, t: accounts[1].address, n: 900 });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="pool-pending"]').length === 2);
      await page.locator('[data-testid="pool-drop"]').first().click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="pool-pending"]').length === 0);
      await page.locator('[data-testid="pool-rejected"]', { hasText: "left the pool" }).waitFor();
      await page.click('[data-testid="increase-time"]');
      await page.locator('[data-testid="time-offset"]', { hasText: "+3600 s" }).waitFor();
      await page.screenshot({ path: join(shots, "10-dev-accounts.png"), fullPage: true });
    });

    await step("on a phone (390 px): no panel is wider than the screen, and the page does not scroll sideways", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="dev-account"]').length === 10);
      const wide = await page.evaluate(() => {
        const out = [];
        if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page ${document.documentElement.scrollWidth} px`);
        for (const panel of document.querySelectorAll(".panel, header, .chain-info")) {
          const box = panel.getBoundingClientRect();
          if (box.right > window.innerWidth + 1) out.push(`${panel.dataset.testid ?? panel.tagName} ends at ${Math.round(box.right)} px`);
        }
        return out;
      });
      if (wide.length) throw new Error(`wider than the screen: ${wide.join(", ")}`);
      await page.screenshot({ path: join(shots, "11-phone.png"), fullPage: true });
      await panelShots("390");
      await page.setViewportSize({ width: 1280, height: 1000 });
      await panelShots("1280");
    });
  }

  /** A screenshot of every panel at the current width, named for the panel. */
  async function panelShots(width) {
    const panels = page.locator("section.panel[data-testid], form.panel[data-testid], div.panel[data-testid]");
    for (const panel of await panels.all()) {
      const name = await panel.getAttribute("data-testid");
      await panel.screenshot({ path: join(shots, "panels", `${width}-${name}.png`) });
    }
  }

  // The README's quickstart, in its order, with its buttons, on a new chain with dev accounts.
  async function quickstartTour() {
    await step("quickstart 1: the test stand opens", async () => {
      await page.goto(`${base}/`);
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="dev-account"]').length === 10);
    });
    await step("quickstart 2: New wallet", async () => {
      await page.click('[data-testid="new-wallet"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="wallet-row"]').length === 11);
    });
    const rows = await page.locator('[data-testid="wallet-row"] code.address').allInnerTexts();
    const accounts = (await api("{ devAccounts { address } }")).data.devAccounts.map((a) => a.address);
    const fresh = rows.find((address) => !accounts.includes(address));
    await step("quickstart 3: Mine to the new wallet", async () => {
      await page.fill('[data-testid="mine-address"]', fresh);
      await page.click('[data-testid="mine-submit"]');
      await page.locator('[data-testid="block-1"]').waitFor();
    });
    await step("quickstart 4: Send 25 from dev account 0: mined at once", async () => {
      await page.fill('[data-testid="send-from"]', accounts[0]);
      await page.fill('[data-testid="send-to"]', fresh);
      await page.fill('[data-testid="send-amount"]', "25");
      await page.click('[data-testid="send-submit"]');
      await page.locator('[data-testid="send-ok"]', { hasText: "mined in block #2" }).waitFor();
      const info = await api("query($a: String!) { address(address: $a) { balance } }", { a: fresh });
      if (info.data.address.balance !== 35) throw new Error(`the new wallet has ${info.data.address.balance}`);
    });
    await step("quickstart 5: block #1 tampered with: the merkle root fails, then block #2 no longer links", async () => {
      await page.click('[data-testid="block-1"]');
      const detail = page.locator('[data-testid="block-detail"]', { hasText: "Block #1" });
      await detail.waitFor();
      await detail.locator('[data-testid="tamper-open"]').click();
      await detail.locator('[data-testid="tamper-value"]').fill("50");
      await detail.locator('[data-testid="tamper-check"][data-status="FAILED"]', { hasText: "merkle root" }).waitFor();
      await detail.locator('[data-testid="tamper-root"]').fill("00".repeat(32));
      await detail.locator('[data-testid="tamper-broken"]', { hasText: "block #2 no longer links" }).waitFor();
      await page.screenshot({ path: join(shots, "0-quickstart.png"), fullPage: true });
    });
  }

  async function tokenTour() {
    const rows = () => page.locator('[data-testid="wallet-row"]').count();

    await step("without the token, a mutation is refused with a message", async () => {
      await page.goto(`${base}/`);
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await page.click('[data-testid="new-wallet"]');
      await page.locator('[data-testid="wallets"] .error-text', { hasText: "enter it in the token box" }).waitFor();
      if ((await rows()) !== 0) throw new Error("a wallet was created without the token");
    });

    await step("with the token entered once, mutations work", async () => {
      await page.fill('[data-testid="token"]', token);
      await page.click('.token button[type="submit"]');
      await page.click('[data-testid="new-wallet"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="wallet-row"]').length === 1);
    });

    await step("the token is kept in the browser across a reload", async () => {
      await page.reload();
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await page.click('[data-testid="new-wallet"]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="wallet-row"]').length === 2);
      const address = (await page.locator('[data-testid="wallet-row"] code.address').allInnerTexts())[0];
      await page.fill('[data-testid="mine-address"]', address);
      await page.fill('[data-testid="mine-count"]', "0");
      await page.click('[data-testid="mine-submit"]');
      await page.locator('[data-testid="block-0"]').waitFor();
      await page.screenshot({ path: join(shots, "5-stand-with-token.png"), fullPage: true });
    });

    // This server also runs with --introspection false.
    await step("GraphiQL on a server without introspection says why there are no docs, and runs queries", async () => {
      await page.goto(`${base}/graphiql`);
      await page.locator(".graphiql-container").waitFor();
      const note = page.locator(".pocket-schema-private");
      await note.locator("p", { hasText: "--introspection false" }).first().waitFor();
      await note.locator("q", { hasText: "introspection is turned off on this server" }).waitFor();
      const editor = page.locator(".graphiql-query-editor .CodeMirror").first();
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.type("query Check { chain { height } }");
      await page.waitForTimeout(800);
      await page.click(".graphiql-execute-button");
      await page.locator(".graphiql-response", { hasText: '"height": 0' }).waitFor();
      await page.screenshot({ path: join(shots, "5b-graphiql-without-introspection.png"), fullPage: true });
    });
  }
  async function networkTour(peer) {
    const at = async (url, query, variables = {}) => {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    const tip = async (url) => (await at(url, "{ chain { height tipHash } }")).chain;
    const mine = async (url, count, address) =>
      (await at(url, "mutation($n: Int!, $a: String!) { mineBlocks(count: $n, address: $a) { hash } }", { n: count, a: address })).mineBlocks;
    const until = async (what, condition) => {
      const deadline = Date.now() + 15_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    await step("the test stand loads and goes live, with no peers", async () => {
      await page.goto(`${base}/`);
      await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
      await at(base, "mutation { resetSystem { address } }");
      await page.locator('[data-testid="block-tree"] [data-testid="tree-main"]').first().waitFor();
      if ((await page.locator('[data-testid="peer-row"]').count()) !== 0) throw new Error("peers listed before any was added");
    });

    await step("adding a peer from the form: it follows, and the empty peer takes this chain", async () => {
      await page.fill('[data-testid="peer-url"]', peer);
      await page.click('[data-testid="peer-add"]');
      await page.locator('[data-testid="peer-state"]', { hasText: "FOLLOWING" }).waitFor({ timeout: 15_000 });
      const ours = await tip(base);
      await until("the peer takes the chain", async () => (await tip(peer)).tipHash === ours.tipHash);
    });

    let stale;
    await step("cut off, both sides mine: the peer's branch is longer", async () => {
      await page.click('[data-testid="peer-remove"]');
      await until("the peer row goes", async () => (await page.locator('[data-testid="peer-row"]').count()) === 0);
      [{ hash: stale }] = await mine(base, 1, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT");
      await mine(peer, 2, "1JfbZRwdDHKZmuiZgYArJZhcuuzuw2HuMu");
      await page.locator(`[data-testid="tree-main"][data-hash="${stale}"]`).waitFor();
    });

    await step("reconnected, the node reorganises: the tree shows the stale block beside the main chain", async () => {
      await page.fill('[data-testid="peer-url"]', peer);
      await page.click('[data-testid="peer-add"]');
      await page.locator('[data-testid="reorg"]', { hasText: "the chain switched branches" }).waitFor({ timeout: 15_000 });
      await page.locator(`[data-testid="tree-stale"][data-hash="${stale}"]`).waitFor();
      const theirs = await tip(peer);
      await until("same tip on both", async () => (await tip(base)).tipHash === theirs.tipHash);
      await page.locator(`[data-testid="tree-main"][data-hash="${theirs.tipHash}"]`).waitFor();
      await page.locator('[data-testid="peer-state"]', { hasText: "FOLLOWING" }).waitFor();
      await page.locator('[data-testid="block-tree"]').screenshot({ path: join(shots, "6-block-tree-after-reorg.png") });
      await page.screenshot({ path: join(shots, "6-network.png"), fullPage: true });
    });
  }
} catch (error) {
  problems.push(`step failed: ${error.message}`);
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => undefined);
    }
  }
} finally {
  await browser.close();
}

console.log(`screenshots in ${shots}`);
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("browser test passed");
