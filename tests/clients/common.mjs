// Shared by the client-compatibility tests: where the server is, and a few steps done with
// plain fetch (Node's own, undici) that set the scene for the client under test.
import assert from "node:assert/strict";

export const base = process.env.POCKET_URL;
assert.ok(base, "POCKET_URL names the server (tests/it/clients.rs sets it)");
export const httpUrl = `${base}/graphql`;
export const wsUrl = `${base.replace(/^http/, "ws")}/graphql/ws`;
export const schemaPath = process.env.POCKET_SCHEMA;

export async function post(query, variables = {}) {
  const response = await fetch(httpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Replays the training scenario; the 8 wallets' addresses. */
export async function reset() {
  const body = await post("mutation { resetSystem { address } }");
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.resetSystem.map((w) => w.address);
}

export async function mine(address) {
  const body = await post("mutation($a: String!) { mineBlock(address: $a) { height } }", { a: address });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.mineBlock.height;
}

/** Waits until `condition()` holds, polling, for at most `ms`. */
export async function until(condition, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Mines to `address` until a subscriber that collects heights in `seen` has received a block
 * (no client says when its subscription is in place), then `more` blocks after it. Returns the
 * heights mined after the first one seen: the subscriber must get exactly these, in order.
 */
export async function mineWhileWatched(address, seen, more) {
  for (let tries = 0; seen.length === 0; tries++) {
    if (tries === 50) throw new Error("the subscriber saw no block");
    await mine(address);
    await until(() => seen.length > 0, 200).catch(() => undefined);
  }
  const first = seen[0];
  const expected = [first];
  for (let i = 0; i < more; i++) expected.push(await mine(address));
  await until(() => seen.length >= expected.length);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return expected;
}

/** Little-endian integers, as docs/protocol.md writes them. */
export const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
export const u64 = (n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Base58 of `bytes` (Bitcoin's alphabet, a `1` per leading zero byte), from docs/protocol.md. */
export function base58(bytes) {
  let n = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}
