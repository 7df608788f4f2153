// The chain archive read by a parser written from docs/protocol.md alone, with Node's own
// SHA-256: `GET /export` must match the chain the API describes, block by block, and
// `rawBlocks`/`rawBlock` and `GET /blocks` must give the same bytes as its frames.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { base, post, reset } from "./common.mjs";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();
const hex = (bytes) => Buffer.from(bytes).toString("hex");

/** Parses an archive as docs/protocol.md lays it out ("Chain archive"). */
function parseArchive(bytes) {
  const view = Buffer.from(bytes);
  assert.equal(view.subarray(0, 8).toString("latin1"), "POCKETCH");
  const body = view.subarray(0, view.length - 32);
  assert.equal(hex(sha256(body)), hex(view.subarray(view.length - 32)), "checksum");
  let at = 8;
  const u32 = () => { const v = view.readUInt32LE(at); at += 4; return v; };
  const u64 = () => { const v = view.readBigUInt64LE(at); at += 8; return v; };
  const version = u32();
  const params = { difficultyBits: u32(), reward: Number(u64()), maxBlockTxs: u32() };
  const flags = u32();
  const count = u32();
  const blocks = [];
  for (let i = 0; i < count; i++) {
    const length = u32();
    const block = view.subarray(at, at + length);
    at += length;
    const header = block.subarray(0, 88);
    blocks.push({
      raw: hex(block),
      hash: hex(sha256(sha256(header))),
      prevHash: hex(header.subarray(4, 36)),
      merkleRoot: hex(header.subarray(36, 68)),
      timestamp: Number(header.readBigUInt64LE(68)),
      bits: header.readUInt32LE(76),
      txCount: block.readUInt32LE(88),
    });
  }
  assert.equal(at, body.length, "no bytes between the last frame and the checksum");
  return { version, params, flags, blocks };
}

test("GET /export parses from the documented layout and matches the API's chain", async () => {
  const wallets = await reset();
  await post("mutation($a: String!) { mineBlocks(address: $a, count: 3) { height } }", { a: wallets[2] });
  const response = await fetch(`${base}/export`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-disposition"), /pocket-chain-12\.pchain/);
  const archive = parseArchive(await response.arrayBuffer());
  assert.equal(archive.version, 1);
  assert.equal(archive.flags, 0, "a download never carries the keystore");
  const { data } = await post(
    "{ chain { difficultyBits reward } blocks(first: 100) { nodes { height hash prevHash merkleRoot timestamp difficultyBits txCount } } }",
  );
  assert.equal(archive.params.difficultyBits, data.chain.difficultyBits);
  assert.equal(archive.params.reward, data.chain.reward);
  const api = [...data.blocks.nodes].reverse();
  assert.equal(archive.blocks.length, api.length);
  archive.blocks.forEach((block, height) => {
    const expected = api[height];
    assert.equal(expected.height, height);
    assert.deepEqual(
      [block.hash, block.prevHash, block.merkleRoot, block.timestamp, block.bits, block.txCount],
      [expected.hash, expected.prevHash, expected.merkleRoot, expected.timestamp, expected.difficultyBits, expected.txCount],
    );
    assert.ok(block.hash.startsWith("000"), "12 bits of work");
    if (height > 0) assert.equal(block.prevHash, archive.blocks[height - 1].hash);
  });
});

test("rawBlocks and rawBlock give each block's bytes exactly as the archive frames them", async () => {
  const wallets = await reset();
  await post("mutation($a: String!) { mineBlocks(address: $a, count: 2) { height } }", { a: wallets[1] });
  const archive = parseArchive(await (await fetch(`${base}/export`)).arrayBuffer());
  const fetched = [];
  // In batches, continuing after the last block received, as a syncing peer would.
  for (;;) {
    const { data, errors } = await post("query($f: Int!) { rawBlocks(fromHeight: $f, count: 5) }", { f: fetched.length });
    assert.equal(errors, undefined, JSON.stringify(errors));
    if (data.rawBlocks.length === 0) break;
    fetched.push(...data.rawBlocks);
  }
  assert.deepEqual(fetched, archive.blocks.map((b) => b.raw));
  const last = archive.blocks.at(-1);
  const one = await post("query($h: String!) { rawBlock(hash: $h) }", { h: last.hash });
  assert.equal(one.data.rawBlock, last.raw);
});

test("GET /blocks frames each block as the archive does, in batches a syncing peer asks for", async () => {
  const wallets = await reset();
  await post("mutation($a: String!) { mineBlocks(address: $a, count: 2) { height } }", { a: wallets[1] });
  const archive = parseArchive(await (await fetch(`${base}/export`)).arrayBuffer());
  const fetched = [];
  for (;;) {
    const response = await fetch(`${base}/blocks?from=${fetched.length}&count=5`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/octet-stream");
    const view = Buffer.from(await response.arrayBuffer());
    if (view.length === 0) break;
    // Frames back to back, as "Block batches" in docs/protocol.md lays them out.
    let at = 0;
    let inBatch = 0;
    while (at < view.length) {
      const length = view.readUInt32LE(at);
      fetched.push(hex(view.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
      inBatch += 1;
    }
    assert.equal(at, view.length);
    assert.ok(inBatch <= 5);
  }
  assert.deepEqual(fetched, archive.blocks.map((b) => b.raw));
  const refused = await fetch(`${base}/blocks?from=-1`);
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).errors[0].extensions.code, "BAD_REQUEST");
});
