// An address's totals checked against the raw blocks, read by a decoder written from
// docs/protocol.md alone ("Transactions", "Block header and proof of work") with Node's own
// SHA-256: what every address received and sent, summed over every output and every spend,
// matches `address { received sent balance }` — with a payment that spends, in the same block,
// the change another payment of that block created.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { base58, post } from "./common.mjs";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();
const sha256d = (bytes) => sha256(sha256(bytes));
const base58check = (payload) => base58(Buffer.concat([payload, sha256d(payload).subarray(0, 4)]));

const addressOf = (pubkeyHash) => base58check(Buffer.concat([Buffer.from([0]), pubkeyHash]));

/** A block's transactions: each with its txid, inputs (outpoints) and outputs. */
function decodeBlock(hex) {
  const bytes = Buffer.from(hex, "hex");
  let at = 88; // the header
  const u32 = () => { const v = bytes.readUInt32LE(at); at += 4; return v; };
  const u64 = () => { const v = bytes.readBigUInt64LE(at); at += 8; return v; };
  const transactions = [];
  const count = u32();
  for (let t = 0; t < count; t++) {
    const unsigned = [];
    let from = at;
    at += 4; // version
    const inputs = [];
    const nIn = u32();
    for (let i = 0; i < nIn; i++) {
      const txid = bytes.subarray(at, at + 32).toString("hex");
      at += 32;
      const vout = u32();
      const tag = bytes[at];
      if (tag === 1) {
        // The unsigned encoding writes a signed witness as 0x00.
        unsigned.push(bytes.subarray(from, at), Buffer.from([0]));
        at += 1 + 64 + 33;
        from = at;
      } else if (tag === 2) at += 1 + 8;
      else if (tag === 0) at += 1;
      else throw new Error(`witness tag ${tag}`);
      inputs.push({ txid, vout, coinbase: tag === 2 });
    }
    const outputs = [];
    const nOut = u32();
    for (let o = 0; o < nOut; o++) {
      const value = Number(u64());
      outputs.push({ value, address: addressOf(bytes.subarray(at, at + 20)) });
      at += 20;
    }
    unsigned.push(bytes.subarray(from, at));
    transactions.push({ txid: sha256d(Buffer.concat(unsigned)).toString("hex"), inputs, outputs });
  }
  assert.equal(at, bytes.length, "no trailing bytes");
  return transactions;
}

test("received and sent match sums over the raw blocks, in-block spends included", async (t) => {
  t.after(() => post("mutation { setMining(mode: MANUAL) { mode } }"));
  const reset = await post("mutation { resetSystem(to: ACCOUNTS) { address } }");
  const [a, b, c] = reset.data.resetSystem.map((w) => w.address);
  await post("mutation { setMining(mode: MANUAL) { mode } }");
  const send = "mutation($f: String!, $t: String!, $n: Int!) { send(from: $f, to: $t, amount: $n) { status } }";
  await post(send, { f: a, t: b, n: 9000 }); // spends a's 10,000; 1,000 change back to a
  await post(send, { f: a, t: c, n: 600 }); // spends that change in the same block
  await post(send, { f: b, t: c, n: 4000 });
  const mined = await post("mutation($m: String!) { mineBlock(address: $m, txCount: 10) { height txCount } }", { m: c });
  assert.deepEqual(mined.data.mineBlock, { height: 1, txCount: 4 });

  const blocks = [];
  for (;;) {
    const { data } = await post("query($f: Int!) { rawBlocks(fromHeight: $f, count: 50) }", { f: blocks.length });
    if (data.rawBlocks.length === 0) break;
    blocks.push(...data.rawBlocks);
  }
  const outputs = new Map(); // "txid:vout" → output
  const totals = new Map(); // address → { received, sent }
  const of = (address) => totals.get(address) ?? totals.set(address, { received: 0, sent: 0 }).get(address);
  let inBlockSpends = 0;
  for (const hex of blocks) {
    const created = new Set();
    for (const tx of decodeBlock(hex)) {
      for (const input of tx.inputs) {
        if (input.coinbase) continue;
        const key = `${input.txid}:${input.vout}`;
        const spent = outputs.get(key);
        assert.ok(spent, `input ${key} spends a known output`);
        of(spent.address).sent += spent.value;
        if (created.has(key)) inBlockSpends += 1;
      }
      tx.outputs.forEach((output, vout) => {
        outputs.set(`${tx.txid}:${vout}`, output);
        created.add(`${tx.txid}:${vout}`);
        of(output.address).received += output.value;
      });
    }
  }
  assert.ok(inBlockSpends >= 1, "the block spends an output it created");
  for (const [address, expected] of totals) {
    const { data } = await post("query($a: String!) { address(address: $a) { received sent balance } }", { a: address });
    assert.deepEqual(data.address, { ...expected, balance: expected.received - expected.sent }, address);
  }
  // 10,000 premined, 1,000 change (spent in the block), 400 change kept.
  assert.deepEqual(totals.get(a), { received: 11400, sent: 11000 });
});
