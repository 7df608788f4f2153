// The same scene on any running server (one started with --accounts 10), screenshotted item by
// item, to compare two versions of the test stand side by side (see screenshots/README.md).
// Usage: node e2e/compare-shots.mjs BASE OUTDIR LABEL   (files are named ITEM-LABEL.png)
import { chromium } from "playwright-core";
import { join } from "node:path";
import { mkdirSync } from "node:fs";

const [base, out, label] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const api = async (query, variables = {}) => {
  const r = await fetch(`${base}/graphql`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const shot = (name) => join(out, `${name}-${label}.png`);
const panel = (page, id) => page.locator(`[data-testid="${id}"]`).first();
try {
  const accounts = (await api("{ devAccounts { address } }")).devAccounts.map((a) => a.address);
  await api("mutation($a: String!) { mineBlocks(address: $a, count: 120) { height } }", { a: accounts[9] });
  await api('mutation { snapshot(name: "before the lesson") { id } }');
  await api('mutation { addPeer(url: "http://127.0.0.1:9") { url } }').catch(() => undefined);

  for (const [width, height] of [[1280, 900], [390, 844]]) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/`);
    await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: shot(`6-page-${width}`), fullPage: true });
    if (width === 390) {
      await context.close();
      continue;
    }
    // 1. A send in AUTO mode.
    await page.fill('[data-testid="send-from"]', accounts[0]);
    await page.fill('[data-testid="send-to"]', accounts[1]);
    await page.fill('[data-testid="send-amount"]', "5");
    await page.click('[data-testid="send-submit"]');
    await page.locator('[data-testid="send-ok"]').waitFor();
    await page.waitForTimeout(800);
    await page.locator('[data-testid="send-form"]').screenshot({ path: shot("1-auto-send") });
    // 2. The browser wallet: a refused payment, funded, then paying.
    await page.click('[data-testid="wallet-create"]');
    const wallet = page.locator('[data-testid="browser-wallet"]');
    const mine = (await wallet.locator('[data-testid="wallet-address"]').innerText()).trim();
    await page.fill('[data-testid="wallet-to"]', accounts[1]);
    await page.fill('[data-testid="wallet-amount"]', "12");
    await page.click('[data-testid="wallet-pay"]');
    await page.waitForTimeout(800);
    await wallet.screenshot({ path: shot("2a-browser-wallet-refused") });
    await api("mutation($a: String!) { mineBlocks(address: $a, count: 2) { height } }", { a: mine });
    await wallet.locator('[data-testid="wallet-balance"]', { hasText: "20" }).waitFor();
    await page.waitForTimeout(800);
    await wallet.screenshot({ path: shot("2b-browser-wallet-funded") });
    // 3. The chainstate (and the page's length: 6-page-1280).
    await panel(page, "chainstate").screenshot({ path: shot("3-chainstate") });
    // 4. The block tree.
    await panel(page, "block-tree").screenshot({ path: shot("4-block-tree") });
    // 5. The mining panel after a search ended.
    await page.fill('[data-testid="mine-address"]', accounts[2]);
    await page.fill('[data-testid="mine-count"]', "0");
    await page.click('[data-testid="mine-submit"]');
    await page.locator('[data-testid="mine-ok"]').waitFor();
    await page.waitForTimeout(1500);
    await page.locator('[data-testid="mine-form"]').screenshot({ path: shot("5-mining-after-a-search") });
    // 7. Snapshots, peers.
    await panel(page, "snapshots").screenshot({ path: shot("7a-snapshots") });
    await panel(page, "peers").screenshot({ path: shot("7b-peers") });
    // GraphiQL's description of buildTransaction.
    await page.goto(`${base}/graphiql`);
    await page.locator(".graphiql-container").waitFor();
    await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
    const docs = page.locator(".graphiql-doc-explorer");
    await docs.locator("a.graphiql-doc-explorer-type-name", { hasText: /^Query$/ }).first().click();
    await docs.locator(".graphiql-doc-explorer-field-name", { hasText: /^buildTransaction$/ }).first().click();
    await page.waitForTimeout(500);
    await docs.screenshot({ path: shot("7c-graphiql-docs") });
    // The lab: block 5 with its merkle root changed.
    await page.goto(`${base}/`);
    await page.locator('[data-testid="connection"]', { hasText: "live" }).waitFor();
    const explorer = page.locator('[data-testid="explorer"]');
    const found = await api("{ block(height: 5) { hash } }");
    await page.fill('[data-testid="search"]', found.block.hash);
    await page.click('[data-testid="search-go"]');
    await explorer.locator('[data-testid="block-detail"] h3', { hasText: "Block #5" }).waitFor();
    await explorer.locator('[data-testid="tamper-open"]').click();
    await explorer.locator('[data-testid="tamper-verdict"]', { hasText: "valid" }).waitFor();
    await page.fill('[data-testid="tamper-root"]', "00".repeat(32));
    await explorer.locator('[data-testid="tamper-verdict"]', { hasText: "invalid" }).waitFor();
    await page.waitForTimeout(500);
    await explorer.screenshot({ path: shot("8-lab") });
    await context.close();
  }
} finally {
  await browser.close();
}
