// An outside miner written from docs/protocol.md alone ("Transactions", "Merkle root", "Block
// header and proof of work") with Node's own crypto: it builds and mines blocks and hands them to
// the node through graphql-request's submitBlock, forks the chain and makes it reorganise, while
// graphql-ws watches chainReorganized and blockMined; a stale block is answered LOW_WORK; a
// refused block has the same code and check over HTTP and over the WebSocket. The block route
// (/graphql/blocks) takes its submitBlock too, and submitBlocks a run of them. The locator exchange a peer makes, and the
// headers of headers-first sync (decoded and checked for link and proof of work here), are driven the
// same way, and Apollo Client manages peers (graphql-ws watching peersChanged) and reads what
// peers relay.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql as apolloGql } from "@apollo/client";
import { GraphQLClient, gql } from "graphql-request";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { httpUrl, reset, u32, u64, wsUrl } from "./common.mjs";

const sha256d = (bytes) => createHash("sha256").update(createHash("sha256").update(bytes).digest()).digest();

/** Leading zero bits of a hash, bytes in order, most significant bit first. */
function zeroBits(hash) {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** A block paying `reward` to `pubkeyHash` at `height` on `prevHash`, mined to `bits`. */
function mineBlock({ prevHash, height, reward, bits, pubkeyHash, timestamp }) {
  const coinbase = Buffer.concat([
    u32(1), // version
    u32(1), // one input: the null outpoint, with the height as coinbase data
    Buffer.alloc(32),
    u32(0xffffffff),
    Buffer.from([0x02]),
    u64(height),
    u32(1), // one output: the reward
    u64(reward),
    pubkeyHash,
  ]);
  const merkleRoot = sha256d(coinbase); // a single txid is its own root
  const header = Buffer.concat([u32(1), Buffer.from(prevHash, "hex"), merkleRoot, u64(timestamp), u32(bits), u64(0)]);
  for (let nonce = 0n; ; nonce++) {
    header.writeBigUInt64LE(nonce, 80);
    const hash = sha256d(header);
    if (zeroBits(hash) >= bits) {
      const block = Buffer.concat([header, u32(1), coinbase]);
      return { hash: hash.toString("hex"), rawHex: block.toString("hex"), header: Buffer.from(header) };
    }
  }
}

/** A block on `tip` (a `chain` answer) paying a fresh key. */
const mineOnTip = (tip, timestamp) =>
  mineBlock({ reward: tip.reward, bits: tip.difficultyBits, pubkeyHash: randomBytes(20), prevHash: tip.tipHash, height: tip.height + 1, timestamp });

const client = new GraphQLClient(httpUrl);
const SUBMIT = gql`
  mutation ($raw: String!) {
    submitBlock(rawHex: $raw) { status hash height mainChain tipHeight tipHash }
  }
`;

async function chain() {
  const data = await client.request(gql`{ chain { height tipHash difficultyBits reward sideBlocks } }`);
  return data.chain;
}

test("an outside miner's blocks connect, fork the chain and make it reorganise", async () => {
  await reset();
  const start = await chain();
  const params = { reward: start.reward, bits: start.difficultyBits, pubkeyHash: randomBytes(20) };
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  const events = [];
  const mined = [];
  const stop = [
    ws.subscribe({ query: "subscription { chainReorganized { forkHeight oldTip newTip disconnected connected } }" }, {
      next: (message) => events.push(message),
      error: (error) => events.push({ error }),
      complete: () => {},
    }),
    // From the height before the test's blocks: delivered however late the subscription starts.
    ws.subscribe({ query: `subscription { blockMined(afterHeight: ${start.height}) { height hash } }` }, {
      next: (message) => mined.push(message.data.blockMined),
      error: (error) => mined.push({ error }),
      complete: () => {},
    }),
  ];
  // On the tip: connected, once; again: a duplicate.
  const a1 = mineBlock({ ...params, prevHash: start.tipHash, height: start.height + 1, timestamp: 1_800_000_000 });
  const first = await client.request(SUBMIT, { raw: a1.rawHex });
  assert.deepEqual(first.submitBlock, {
    status: "CONNECTED",
    hash: a1.hash,
    height: start.height + 1,
    mainChain: true,
    tipHeight: start.height + 1,
    tipHash: a1.hash,
  });
  assert.equal((await client.request(SUBMIT, { raw: a1.rawHex })).submitBlock.status, "DUPLICATE");
  // Once a1 is heard, both subscriptions (sent before blockMined's, on the same socket) are in
  // place for the reorganisation.
  const heard = Date.now() + 5000;
  while (mined.length < 1 && Date.now() < heard) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  // A sibling from the same parent: kept on a side branch, the main chain unchanged.
  const b1 = mineBlock({ ...params, prevHash: start.tipHash, height: start.height + 1, timestamp: 1_800_000_001 });
  const side = await client.request(SUBMIT, { raw: b1.rawHex });
  assert.equal(side.submitBlock.status, "SIDE_BRANCH");
  assert.equal(side.submitBlock.mainChain, false);
  assert.equal(side.submitBlock.tipHash, a1.hash);

  // Its child gives the side branch more work: the node reorganises to it.
  const b2 = mineBlock({ ...params, prevHash: b1.hash, height: start.height + 2, timestamp: 1_800_000_002 });
  const won = await client.request(SUBMIT, { raw: b2.rawHex });
  assert.equal(won.submitBlock.status, "REORGANIZED");
  assert.equal(won.submitBlock.tipHash, b2.hash);

  const deadline = Date.now() + 5000;
  while ((events.length < 1 || mined.length < 3) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop.forEach((unsubscribe) => unsubscribe());
  await ws.dispose();
  assert.deepEqual(events[0].data.chainReorganized, {
    forkHeight: start.height,
    oldTip: a1.hash,
    newTip: b2.hash,
    disconnected: [a1.hash],
    connected: [b1.hash, b2.hash],
  });
  // blockMined: a1, then the new branch from the fork up.
  assert.deepEqual(mined, [
    { height: start.height + 1, hash: a1.hash },
    { height: start.height + 1, hash: b1.hash },
    { height: start.height + 2, hash: b2.hash },
  ]);

  // The stale block is still found, off the main chain; the tree shows both branches.
  const stale = await client.request(gql`query ($h: String!) { block(hash: $h) { height mainChain } rawBlock(hash: $h) }`, { h: a1.hash });
  assert.deepEqual(stale.block, { height: start.height + 1, mainChain: false });
  assert.equal(stale.rawBlock, a1.rawHex);
  const tree = await client.request(gql`{ blockTree(depth: 2) { hash mainChain } chain { sideBlocks } }`);
  assert.deepEqual(
    tree.blockTree.map((b) => [b.hash, b.mainChain]),
    [
      [b1.hash, true],
      [a1.hash, false],
      [b2.hash, true],
    ],
  );
  assert.equal(tree.chain.sideBlocks, 1);

  // Another sibling of a1, now below the tip: less work than the main chain, held in memory and
  // written nowhere.
  const c1 = mineBlock({ ...params, prevHash: start.tipHash, height: start.height + 1, timestamp: 1_800_000_003 });
  const low = await client.request(SUBMIT, { raw: c1.rawHex });
  assert.deepEqual(low.submitBlock, {
    status: "LOW_WORK",
    hash: c1.hash,
    height: start.height + 1,
    mainChain: false,
    tipHeight: start.height + 2,
    tipHash: b2.hash,
  });
  const after = await client.request(gql`query ($h: String!) { block(hash: $h) { height } chain { sideBlocks } }`, { h: c1.hash });
  assert.deepEqual(after, { block: null, chain: { sideBlocks: 1 } });
});

test("a block that breaks a rule gets INVALID_BLOCK with the rule, over HTTP and WebSocket", async () => {
  const tip = await chain();
  const good = mineOnTip(tip, 1_800_000_100);
  // The same block with a nonce that misses the difficulty.
  const header = Buffer.from(good.header);
  for (let nonce = header.readBigUInt64LE(80) + 1n; ; nonce++) {
    header.writeBigUInt64LE(nonce, 80);
    if (zeroBits(sha256d(header)) < tip.difficultyBits) break;
  }
  const weak = Buffer.concat([header, Buffer.from(good.rawHex, "hex").subarray(88)]).toString("hex");
  await assert.rejects(client.request(SUBMIT, { raw: weak }), (error) => {
    const extensions = error.response.errors[0].extensions;
    assert.equal(extensions.code, "INVALID_BLOCK");
    assert.equal(extensions.check, "PROOF_OF_WORK");
    assert.equal(extensions.blockHash, sha256d(header).toString("hex"));
    return true;
  });
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  // graphql-ws hands an operation's errors to the sink as its error.
  const errors = await new Promise((resolve) => {
    ws.subscribe(
      { query: "mutation ($raw: String!) { submitBlock(rawHex: $raw) { status } }", variables: { raw: weak } },
      { next: (message) => resolve(message.errors), error: resolve, complete: () => {} },
    );
  });
  await ws.dispose();
  assert.equal(errors[0].extensions.code, "INVALID_BLOCK");
  assert.equal(errors[0].extensions.check, "PROOF_OF_WORK");
  assert.deepEqual(await chain(), tip, "a refused block changes nothing");
});

test("the block route takes graphql-request's submitBlock and refuses anything else", async () => {
  const tip = await chain();
  const blocks = new GraphQLClient(`${httpUrl}/blocks`);
  const block = mineOnTip(tip, 1_800_000_200);
  const answer = await blocks.request(SUBMIT, { raw: block.rawHex });
  assert.equal(answer.submitBlock.status, "CONNECTED");
  assert.equal(answer.submitBlock.tipHash, block.hash);
  for (const document of [gql`{ chain { height } }`, gql`mutation { newWallet { address } }`]) {
    await assert.rejects(blocks.request(document), (error) => {
      assert.equal(error.response.status, 400);
      assert.equal(error.response.errors[0].extensions.code, "BAD_REQUEST");
      assert.match(error.response.errors[0].message, /submitBlock/);
      return true;
    });
  }
});

test("submitBlocks places a run of graphql-request's blocks in order, and refuses a bad one whole", async () => {
  await reset();
  const tip = await chain();
  const blocks = new GraphQLClient(`${httpUrl}/blocks`);
  const SUBMIT_MANY = gql`
    mutation ($raw: [String!]!) {
      submitBlocks(rawHex: $raw) { status hash height tipHeight }
    }
  `;
  const run = [];
  let on = tip;
  for (let i = 0; i < 3; i++) {
    const block = mineOnTip(on, 1_800_000_300 + i);
    run.push(block);
    on = { ...on, tipHash: block.hash, height: on.height + 1 };
  }
  const placed = await blocks.request(SUBMIT_MANY, { raw: run.map((b) => b.rawHex) });
  assert.deepEqual(
    placed.submitBlocks,
    run.map((b, i) => ({ status: "CONNECTED", hash: b.hash, height: tip.height + 1 + i, tipHeight: tip.height + 1 + i })),
  );
  const again = await client.request(SUBMIT_MANY, { raw: run.map((b) => b.rawHex) });
  assert.deepEqual(again.submitBlocks.map((a) => a.status), ["DUPLICATE", "DUPLICATE", "DUPLICATE"]);
  // One that does not decode refuses the request whole: the good block before it is not placed.
  const next = mineOnTip(await chain(), 1_800_000_400);
  await assert.rejects(client.request(SUBMIT_MANY, { raw: [next.rawHex, "00"] }), (error) => {
    assert.equal(error.response.errors[0].extensions.code, "INVALID_BLOCK");
    return true;
  });
  assert.equal((await chain()).height, tip.height + 3);
  await assert.rejects(client.request(SUBMIT_MANY, { raw: Array(501).fill("00") }), (error) => {
    assert.equal(error.response.errors[0].extensions.code, "BAD_REQUEST");
    assert.match(error.response.errors[0].message, /at most 500/);
    return true;
  });
});

test("a peer's locator finds the last block both chains share", async () => {
  const { blockLocator } = await client.request(gql`{ blockLocator }`);
  const tip = await chain();
  assert.equal(blockLocator[0], tip.tipHash);
  // A peer that shares only some of the chain: its own newer blocks are unknown here.
  const theirs = [randomBytes(32).toString("hex"), randomBytes(32).toString("hex"), ...blockLocator.slice(2)];
  const { commonBlock } = await client.request(gql`query ($l: [String!]!) { commonBlock(locator: $l) { hash height mainChain } }`, {
    l: theirs,
  });
  assert.equal(commonBlock.hash, blockLocator[2]);
  assert.equal(commonBlock.height, tip.height - 2);
  assert.equal(commonBlock.mainChain, true);
  const none = await client.request(gql`query ($l: [String!]!) { commonBlock(locator: $l) { hash } }`, {
    l: [randomBytes(32).toString("hex")],
  });
  assert.equal(none.commonBlock, null);
});

test("headers-first: a peer's headers decode from docs/protocol.md, link, and carry their work", async () => {
  const tip = await chain();
  const { blockLocator } = await client.request(gql`{ blockLocator }`);
  // From a locator naming the block five below the tip: the five headers after it.
  const fifth = blockLocator[5];
  const { headers } = await client.request(
    gql`query ($l: [String!]!) { headers(locator: $l) { commonHash commonHeight count rawHeaders } }`,
    { l: [randomBytes(32).toString("hex"), fifth] },
  );
  assert.equal(headers.commonHash, fifth);
  assert.equal(headers.commonHeight, tip.height - 5);
  assert.equal(headers.count, 5);
  const bytes = Buffer.from(headers.rawHeaders, "hex");
  assert.equal(bytes.length, 5 * 88);
  let prev = fifth;
  for (let i = 0; i < 5; i++) {
    const header = bytes.subarray(i * 88, (i + 1) * 88);
    // version u32 ‖ prev_hash [32] ‖ merkle_root [32] ‖ timestamp u64 ‖ bits u32 ‖ nonce u64
    assert.equal(header.readUInt32LE(0), 1);
    assert.equal(header.subarray(4, 36).toString("hex"), prev);
    const bits = header.readUInt32LE(76);
    assert.equal(bits, tip.difficultyBits);
    const hash = sha256d(header);
    assert.ok(zeroBits(hash) >= bits, `header ${i} meets its difficulty`);
    prev = hash.toString("hex");
  }
  assert.equal(prev, tip.tipHash);
  // An empty locator starts at genesis; a count past the bound is a coded refusal.
  const fromGenesis = await client.request(gql`{ headers(locator: [], count: 1) { commonHash rawHeaders } }`);
  assert.equal(fromGenesis.headers.commonHash, null);
  assert.equal(Buffer.from(fromGenesis.headers.rawHeaders, "hex").subarray(4, 36).toString("hex"), "0".repeat(64));
  await assert.rejects(client.request(gql`{ headers(locator: [], count: 2001) { count } }`), (error) => {
    assert.equal(error.response.errors[0].extensions.code, "BAD_REQUEST");
    return true;
  });
});

test("Apollo adds, lists and removes a peer, and reads what peers relay", async (t) => {
  const apollo = new ApolloClient({ link: new HttpLink({ uri: httpUrl }), cache: new InMemoryCache() });
  const wallets = await reset();
  // A peer URL that is not a node's: a coded refusal, nothing added.
  await assert.rejects(
    apollo.mutate({ mutation: apolloGql`mutation { addPeer(url: "ftp://example") { url } }` }),
    (error) => {
      assert.ok(CombinedGraphQLErrors.is(error));
      assert.equal(error.errors[0].extensions.code, "BAD_REQUEST");
      return true;
    },
  );
  // graphql-ws watches peersChanged meanwhile: the list at once, then the latest as it changes.
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const lists = [];
  const stopWatching = ws.subscribe({ query: "subscription { peersChanged { url state } }" }, {
    next: (message) => lists.push(message.data.peersChanged),
    error: (error) => lists.push({ error }),
    complete: () => {},
  });
  // Closed however the test ends: an open socket would keep the runner waiting.
  t.after(() => {
    stopWatching();
    return ws.dispose();
  });
  const waitFor = async (wanted) => {
    const until = Date.now() + 5000;
    while (!lists.some(wanted) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(lists.some(wanted), JSON.stringify(lists));
  };
  await waitFor((list) => Array.isArray(list) && list.length === 0);
  // A loopback port nobody listens on: followed, and DOWN with the reason, retried meanwhile.
  const url = "http://127.0.0.1:9";
  const added = await apollo.mutate({ mutation: apolloGql`mutation ($u: String!) { addPeer(url: $u) { url state } }`, variables: { u: `${url}/graphql` } });
  assert.deepEqual(added.data.addPeer, { __typename: "Peer", url, state: "CONNECTING" });
  const peersNow = async () =>
    (await apollo.query({ query: apolloGql`{ peers { url state lastError bannedUntil transactionsRefused } }`, fetchPolicy: "no-cache" })).data.peers;
  const deadline = Date.now() + 5000;
  let peers = await peersNow();
  while (peers[0].state !== "DOWN" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    peers = await peersNow();
  }
  assert.equal(peers[0].state, "DOWN");
  assert.match(peers[0].lastError, /unreachable/);
  // Unreachable is never a ban.
  assert.equal(peers[0].bannedUntil, null);
  assert.equal(peers[0].transactionsRefused, 0);
  await waitFor((list) => Array.isArray(list) && list.length === 1 && list[0].url === url && list[0].state === "DOWN");
  const seen = lists.length;
  const removed = await apollo.mutate({ mutation: apolloGql`mutation ($u: String!) { removePeer(url: $u) }`, variables: { u: url } });
  assert.equal(removed.data.removePeer, true);
  await waitFor((list) => lists.indexOf(list) >= seen && Array.isArray(list) && list.length === 0);
  const { data: after } = await apollo.query({ query: apolloGql`{ peers { url } chain { genesisHash chainWork maxBlockTxs height difficultyBits } }`, fetchPolicy: "no-cache" });
  assert.deepEqual(after.peers, []);
  assert.equal(after.chain.maxBlockTxs, 10000);
  assert.equal(BigInt(after.chain.chainWork), BigInt(after.chain.height + 1) << BigInt(after.chain.difficultyBits));
  // What a peer fetches to relay a pending transaction: its signed bytes, whose txid matches.
  const sent = await apollo.mutate({
    mutation: apolloGql`mutation ($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { txId } }`,
    variables: { f: wallets[1], t: wallets[2] },
  });
  const txId = sent.data.send.txId;
  const { data: raw } = await apollo.query({ query: apolloGql`query ($t: String!) { rawTransaction(txId: $t) }`, variables: { t: txId }, fetchPolicy: "no-cache" });
  const bytes = Buffer.from(raw.rawTransaction, "hex");
  // The txid is over the unsigned encoding: every signed witness (0x01, 64 + 33 bytes) as 0x00.
  const count = bytes.readUInt32LE(4);
  const parts = [bytes.subarray(0, 8)];
  let offset = 8;
  for (let i = 0; i < count; i++) {
    parts.push(bytes.subarray(offset, offset + 36), Buffer.from([0]));
    assert.equal(bytes[offset + 36], 1);
    offset += 36 + 1 + 97;
  }
  parts.push(bytes.subarray(offset));
  assert.equal(sha256d(Buffer.concat(parts)).toString("hex"), txId);
});
