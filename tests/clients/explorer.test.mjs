// Merkle proofs and header bytes checked by code written from docs/protocol.md alone ("Merkle
// proofs", "Block header"), with Node's own SHA-256 — not the server's implementation; and the
// explorer's streams (a resumed blockMined, transactionStatus) through graphql-ws.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { mine, post, reset, until, wsUrl } from "./common.mjs";

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
