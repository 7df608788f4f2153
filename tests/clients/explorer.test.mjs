// Merkle proofs and header bytes checked by code written from docs/protocol.md alone ("Merkle
// proofs", "Block header"), with Node's own SHA-256 — not the server's implementation; and the
// explorer's queries through Apollo (an address page; the lab, with an input-object variable) and
// its streams through graphql-ws (a resumed blockMined and poolChanged, transactionStatus,
// addressActivity).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { base, mine, post, reset, until, wsUrl } from "./common.mjs";

const sha256d = (bytes) => createHash("sha256").update(createHash("sha256").update(bytes).digest()).digest();

/** The root a proof leads to, step by step as the document says. */
function rootFromProof(txidHex, index, siblingsHex) {
  let node = Buffer.from(txidHex, "hex");
  let position = index;
  for (const siblingHex of siblingsHex) {
    const sibling = Buffer.from(siblingHex, "hex");
    node = position % 2 === 0 ? sha256d(Buffer.concat([node, sibling])) : sha256d(Buffer.concat([sibling, node]));
    position = Math.floor(position / 2);
  }
  return node.toString("hex");
}

test("every transaction's merkle proof leads to its block's header root", async () => {
  const wallets = await reset();
  // A block of 5 transactions: odd levels on the way up.
  // The reset leaves two pending; two more senders make four, plus the coinbase: five.
  for (const [from, to] of [[0, 2], [1, 3]]) {
    const sent = await post("mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { id } }", { f: wallets[from], t: wallets[to] });
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
  }
  await post("mutation($a: String!) { mineBlock(address: $a, txCount: 10) { height } }", { a: wallets[6] });
  const { data, errors } = await post(
    "{ blocks(first: 20) { nodes { hash headerHex merkleRoot txCount transactions { id confirmations merkleProof { index siblings root } } } } }",
  );
  assert.equal(errors, undefined, JSON.stringify(errors));
  let proofs = 0;
  for (const block of data.blocks.nodes) {
    const header = Buffer.from(block.headerHex, "hex");
    assert.equal(header.length, 88);
    assert.equal(sha256d(header).toString("hex"), block.hash);
    assert.equal(header.subarray(36, 68).toString("hex"), block.merkleRoot);
    for (const tx of block.transactions) {
      assert.equal(tx.merkleProof.root, block.merkleRoot);
      assert.equal(tx.merkleProof.siblings.length, Math.ceil(Math.log2(block.txCount)));
      assert.equal(rootFromProof(tx.id, tx.merkleProof.index, tx.merkleProof.siblings), block.merkleRoot);
      assert.notEqual(rootFromProof("ff".repeat(32), tx.merkleProof.index, tx.merkleProof.siblings), block.merkleRoot);
      proofs++;
    }
  }
  assert.ok(proofs >= 25, `${proofs} proofs`);
});

test("graphql-ws resumes blockMined after a height and follows a transaction's status", async () => {
  const wallets = await reset();
  // Mined while nobody listens: 10, 11, 12.
  for (let i = 0; i < 3; i++) await mine(wallets[0]);
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const heights = [];
  const stopBlocks = ws.subscribe(
    { query: "subscription($h: Int) { blockMined(afterHeight: $h) { height } }", variables: { h: 9 } },
    { next: (r) => heights.push(r.data.blockMined.height), error: () => {}, complete: () => {} },
  );
  await until(() => heights.length === 3);
  assert.deepEqual(heights, [10, 11, 12]);

  const sent = await post("mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 2) { txId } }", { f: wallets[0], t: wallets[3] });
  const txId = sent.data.send.txId;
  const statuses = [];
  const stopStatus = ws.subscribe(
    { query: "subscription($id: String!) { transactionStatus(txId: $id) { state confirmations } }", variables: { id: txId } },
    { next: (r) => statuses.push(r.data.transactionStatus), error: () => {}, complete: () => {} },
  );
  await until(() => statuses.length === 1);
  assert.equal(statuses[0].state, "PENDING");
  await mine(wallets[1]);
  await until(() => statuses.some((s) => s.state === "MINED"));
  assert.deepEqual(statuses.at(-1), { state: "MINED", confirmations: 1 });
  await until(() => heights.length === 4);
  assert.equal(heights[3], 13, "then live");
  stopBlocks();
  stopStatus();
  await ws.dispose();
});

test("Apollo reads an address page and asks the lab about a tampered block", async () => {
  const wallets = await reset();
  const apollo = new ApolloClient({ link: new HttpLink({ uri: `${base}/graphql` }), cache: new InMemoryCache() });
  const { data } = await apollo.query({
    query: gql`query Address($a: String!) {
      address(address: $a) { balance received sent txCount transactions(first: 50) { nodes { netAmount } } pending { txId }
        utxos(first: 100) { totalCount nodes { value } } }
      wallet(address: $a) { balance utxos(first: 100) { totalCount nodes { value } } }
    }`,
    variables: { a: wallets[0] },
    fetchPolicy: "no-cache",
  });
  const info = data.address;
  assert.equal(info.balance, 75);
  assert.equal(info.received - info.sent, info.balance);
  assert.equal(info.transactions.nodes.reduce((sum, t) => sum + t.netAmount, 0), info.balance);
  assert.equal(info.pending.length, 2);
  // Wallet and AddressInfo answer utxos with one resolver: the same coins, summing to the balance.
  assert.equal(info.utxos.nodes.reduce((sum, u) => sum + u.value, 0), info.balance);
  assert.deepEqual(data.wallet.utxos, info.utxos);
  assert.equal(data.wallet.balance, info.balance);

  const block = await post("{ block(height: 5) { hash } }");
  const { data: lab } = await apollo.query({
    query: gql`query Lab($h: String!, $p: BlockPatch) {
      explainBlock(hash: $h, patch: $p) { valid checks { rule status } brokenLink { height } }
    }`,
    variables: { h: block.data.block.hash, p: { output: { tx: 1, vout: 0, value: 50 } } },
    fetchPolicy: "no-cache",
  });
  assert.equal(lab.explainBlock.valid, false);
  const failed = lab.explainBlock.checks.filter((c) => c.status === "FAILED").map((c) => c.rule);
  assert.deepEqual(failed, ["merkle root", "inputs and values"]);
  assert.equal(lab.explainBlock.brokenLink, null);

  // A copy re-linked to another parent: the link rule checks against `parentHash` when given.
  const other = "ab".repeat(32);
  const relinked = async (patch) => {
    const { data: answer } = await apollo.query({
      query: gql`query Relinked($h: String!, $p: BlockPatch) { explainBlock(hash: $h, patch: $p) { checks { rule status } } }`,
      variables: { h: block.data.block.hash, p: patch },
      fetchPolicy: "no-cache",
    });
    return answer.explainBlock.checks.find((c) => c.rule === "link to the previous block").status;
  };
  assert.equal(await relinked({ prevHash: other }), "FAILED");
  assert.equal(await relinked({ prevHash: other, parentHash: other }), "PASSED");
});

test("Apollo: an Int argument out of range is refused with the largest value allowed", async () => {
  const wallets = await reset();
  const apollo = new ApolloClient({ link: new HttpLink({ uri: `${base}/graphql` }), cache: new InMemoryCache() });
  await assert.rejects(
    apollo.mutate({
      mutation: gql`mutation($f: String!, $t: String!, $a: Int!) { send(from: $f, to: $t, amount: $a) { status } }`,
      variables: { f: wallets[0], t: wallets[1], a: 99999999999 },
    }),
    (error) => {
      const [first] = error.errors ?? [];
      return first?.extensions?.code === "BAD_REQUEST" && first.message.includes("at most 2147483647");
    },
  );
});

test("graphql-ws resumes poolChanged after an id and hears addressActivity", async () => {
  const wallets = await reset();
  const pool = await post("{ pool(first: 10) { nodes { id } } }");
  const ids = pool.data.pool.nodes.map((n) => n.id);
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const changes = [];
  const stopPool = ws.subscribe(
    { query: "subscription($after: Int) { poolChanged(afterId: $after) { id status } }", variables: { after: ids[0] - 1 } },
    { next: (r) => changes.push(r.data.poolChanged), error: () => {}, complete: () => {} },
  );
  await until(() => changes.length === 2);
  assert.deepEqual(changes, ids.map((id) => ({ id, status: "PENDING" })));

  const activity = [];
  const stopActivity = ws.subscribe(
    { query: "subscription($a: [String!]!) { addressActivity(addresses: $a) { kind address txId } }", variables: { a: [wallets[5]] } },
    { next: (r) => activity.push(r.data.addressActivity), error: () => {}, complete: () => {} },
  );
  // No client says when a subscription is in place: mine to the watched address until heard.
  for (let tries = 0; activity.length === 0; tries++) {
    if (tries === 50) throw new Error("addressActivity heard nothing");
    await post("mutation($a: String!) { mineBlock(address: $a, txCount: 0) { height } }", { a: wallets[5] });
    await until(() => activity.length > 0, 300).catch(() => undefined);
  }
  assert.equal(activity[0].kind, "MINED");
  const sent = await post("mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { txId } }", { f: wallets[0], t: wallets[5] });
  await until(() => activity.some((a) => a.kind === "PENDING"));
  assert.deepEqual(activity.find((a) => a.kind === "PENDING"), { kind: "PENDING", address: wallets[5], txId: sent.data.send.txId });
  stopPool();
  stopActivity();
  await ws.dispose();
});
