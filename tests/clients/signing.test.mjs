// A signer written from docs/protocol.md alone ("Keys and addresses", "Signing away from the
// node") with Node's own crypto — OpenSSL's secp256k1 and hashes, not the server's k256 nor the
// test stand's noble — driving buildTransaction and submitTransaction through graphql-request; and
// a refused submission over both WebSocket protocols, with the same code and check.
import assert from "node:assert/strict";
import { createECDH, createHash, createPrivateKey, sign as ecdsaSign } from "node:crypto";
import { test } from "node:test";
import { GraphQLClient, gql } from "graphql-request";
import { createClient } from "graphql-ws";
import { SubscriptionClient } from "subscriptions-transport-ws";
import WebSocket from "ws";
import { base58, httpUrl, mine, u32, u64, wsUrl } from "./common.mjs";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();
const sha256d = (bytes) => sha256(sha256(bytes));
const hash160 = (bytes) => createHash("ripemd160").update(sha256(bytes)).digest();
const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function unbase58(text) {
  let n = 0n;
  for (const char of text) n = n * 58n + BigInt(ALPHABET.indexOf(char));
  const body = Buffer.from(n.toString(16).padStart(48, "0"), "hex");
  const leading = text.match(/^1*/)[0].length;
  return Buffer.concat([Buffer.alloc(leading), body]).subarray(-25);
}

/** A key as OpenSSL holds it, with its compressed public key and address. */
function newKey() {
  const ecdh = createECDH("secp256k1");
  ecdh.generateKeys();
  const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
  const [x, y] = [point.subarray(1, 33), point.subarray(33)];
  const privateKey = createPrivateKey({
    key: { kty: "EC", crv: "secp256k1", d: ecdh.getPrivateKey().toString("base64url"), x: x.toString("base64url"), y: y.toString("base64url") },
    format: "jwk",
  });
  const compressed = Buffer.concat([Buffer.from([y[31] % 2 === 0 ? 2 : 3]), x]);
  const payload = Buffer.concat([Buffer.from([0]), hash160(compressed)]);
  const address = base58(Buffer.concat([payload, sha256d(payload).subarray(0, 4)]));
  return { privateKey, compressed, address };
}


/** Steps 2–6 of "Signing, step by step": the signed encoding of `unsigned`, as hex. */
function signTransaction(unsigned, key) {
  const bytes = Buffer.from(unsigned.rawHex, "hex");
  const txid = sha256d(bytes);
  assert.equal(txid.toString("hex"), unsigned.txId);
  const count = bytes.readUInt32LE(4);
  assert.equal(count, unsigned.inputs.length);
  const parts = [bytes.subarray(0, 8)];
  let offset = 8;
  for (let i = 0; i < count; i++) {
    const { value, address } = unsigned.inputs[i];
    const pubkeyHash = unbase58(address).subarray(1, 21);
    const preimage = Buffer.concat([Buffer.from("pocket-chain/sighash/v1"), txid, u32(i), u64(value), pubkeyHash]);
    // Step 3's check: the node's sighash is the one computed here.
    assert.equal(sha256d(preimage).toString("hex"), unsigned.inputs[i].sighash);
    // ECDSA hashes its message with SHA-256 once: signing SHA256(preimage) signs SHA256d(preimage).
    const signature = ecdsaSign("sha256", sha256(preimage), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
    let s = BigInt(`0x${signature.subarray(32).toString("hex")}`);
    if (s > ORDER / 2n) s = ORDER - s; // step 4: low-S only
    const low = Buffer.concat([signature.subarray(0, 32), Buffer.from(s.toString(16).padStart(64, "0"), "hex")]);
    assert.equal(bytes[offset + 36], 0, "an unsigned witness");
    parts.push(bytes.subarray(offset, offset + 36), Buffer.from([1]), low, key.compressed);
    offset += 37;
  }
  parts.push(bytes.subarray(offset));
  return Buffer.concat(parts).toString("hex");
}

const client = new GraphQLClient(httpUrl);
const BUILD = gql`
  query Build($from: String!, $to: String!, $amount: Int!) {
    buildTransaction(from: $from, to: $to, amount: $amount) {
      txId
      rawHex
      inputs { value address sighash }
      outputs { value address }
    }
  }
`;
const SUBMIT = gql`
  mutation Submit($raw: String!) {
    submitTransaction(rawHex: $raw) { txId status from to amount }
  }
`;
const BALANCES = gql`
  query Balances($a: String!, $b: String!) {
    a: address(address: $a) { balance }
    b: address(address: $b) { balance }
  }
`;

test("a key OpenSSL holds pays through buildTransaction and submitTransaction", async () => {
  const [alice, bob] = [newKey(), newKey()];
  await mine(alice.address);
  await mine(alice.address);
  const { buildTransaction: unsigned } = await client.request(BUILD, { from: alice.address, to: bob.address, amount: 13 });
  assert.deepEqual(unsigned.outputs, [
    { value: 13, address: bob.address },
    { value: 7, address: alice.address },
  ]);
  const raw = signTransaction(unsigned, alice);
  const { submitTransaction: entry } = await client.request(SUBMIT, { raw });
  assert.deepEqual(entry, { txId: unsigned.txId, status: "PENDING", from: alice.address, to: bob.address, amount: 13 });
  await mine(bob.address);
  assert.deepEqual(await client.request(BALANCES, { a: alice.address, b: bob.address }), {
    a: { balance: 7 },
    b: { balance: 23 },
  });
});

test("the same signature over another amount is refused with the check named", async () => {
  const [alice, bob] = [newKey(), newKey()];
  await mine(alice.address);
  const { buildTransaction: unsigned } = await client.request(BUILD, { from: alice.address, to: bob.address, amount: 4 });
  const raw = signTransaction(unsigned, alice);
  // Pay 5 instead of 4 (the change output shrinks by one): the txid changes, the signature no longer matches.
  const bytes = Buffer.from(raw, "hex");
  const outputs = bytes.length - 2 * 28;
  bytes.writeBigUInt64LE(5n, outputs);
  bytes.writeBigUInt64LE(5n, outputs + 28);
  await assert.rejects(client.request(SUBMIT, { raw: bytes.toString("hex") }), (error) => {
    const [first] = error.response.errors;
    assert.equal(first.extensions.code, "INVALID_TRANSACTION");
    assert.equal(first.extensions.check, "BAD_SIGNATURE");
    assert.equal(first.extensions.input, 0);
    return true;
  });
});

test("a hostile submission is refused with its code and check over both WebSocket protocols", async () => {
  const mutation = 'mutation { submitTransaction(rawHex: "01000000ffffffff") { id } }';
  const modern = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const answers = [];
  // graphql-ws hands an operation's errors to the iterator as its rejection.
  await assert.rejects(
    (async () => {
      for await (const answer of modern.iterate({ query: mutation })) answers.push(answer);
    })(),
    (errors) => {
      answers.push({ errors });
      return true;
    },
  );
  await modern.dispose();
  const legacy = new SubscriptionClient(wsUrl, { reconnect: false }, WebSocket);
  answers.push(
    await new Promise((resolve) => {
      legacy.request({ query: mutation }).subscribe({ next: resolve, error: (errors) => resolve({ errors: [errors].flat() }) });
    }),
  );
  legacy.close();
  for (const answer of answers) {
    const [first] = answer.errors;
    assert.equal(first.extensions.code, "INVALID_TRANSACTION", JSON.stringify(answer));
    assert.equal(first.extensions.check, "DECODE");
  }
  assert.equal(answers.length, 2);
});

test("a relayed submission is refused like any other, and stays out of the refusal log", async () => {
  const refusals = async () =>
    (await client.request(gql`{ pool(includeRejected: true, first: 500) { nodes { status } } }`)).pool.nodes.filter(
      (n) => n.status === "REJECTED",
    ).length;
  const before = await refusals();
  const relayed = gql`mutation($raw: String!) { submitTransaction(rawHex: $raw, relayed: true) { id } }`;
  await assert.rejects(client.request(relayed, { raw: "00".repeat(12) }), (error) => {
    assert.equal(error.response.errors[0].extensions.code, "INVALID_TRANSACTION");
    return true;
  });
  assert.equal(await refusals(), before);
});
