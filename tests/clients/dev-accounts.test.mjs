// Dev accounts and chained payments through code we did not write: @scure/bip39 and
// @scure/bip32 derive the keys the server funds (BIP-39 seed, BIP-32 path m/44'/1'/0'/0/i) and
// @noble hashes them into the addresses; urql sends ten chained payments from one account and
// finds them in one block, in order; graphql-request funds a key no node holds, which
// @noble/secp256k1 then signs a spend with.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { GraphQLClient } from "graphql-request";
import * as secp from "@noble/secp256k1";
import { hmac } from "@noble/hashes/hmac.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { createBase58check } from "@scure/base";
import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync } from "@scure/bip39";
import { httpUrl, post, u32, u64 } from "./common.mjs";

secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

const PHRASE = "test test test test test test test test test test test junk";
const base58check = createBase58check(sha256);
const addressOf = (publicKey) => base58check.encode(concatBytes(new Uint8Array([0]), ripemd160(sha256(publicKey))));
const sha256d = (bytes) => sha256(sha256(bytes));

const apollo = new ApolloClient({ link: new HttpLink({ uri: httpUrl }), cache: new InMemoryCache() });
const urql = new Client({ url: httpUrl, exchanges: [fetchExchange], requestPolicy: "network-only" });
const client = new GraphQLClient(httpUrl);

const ACCOUNTS = "{ devAccounts { index address secretKey balance faucet } }";

async function resetToAccounts(t) {
  t.after(() => post("mutation { setMining(mode: MANUAL) { mode } }"));
  const { data } = await apollo.mutate({ mutation: gql`mutation { resetSystem(to: ACCOUNTS) { address } }` });
  return data.resetSystem.map((w) => w.address);
}

test("@scure/bip32 derives the keys and addresses resetSystem(to: ACCOUNTS) funds", async (t) => {
  const wallets = await resetToAccounts(t);
  const { data } = await apollo.query({ query: gql(ACCOUNTS), fetchPolicy: "no-cache" });
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(PHRASE));
  assert.equal(data.devAccounts.length, 10);
  for (const account of data.devAccounts) {
    const key = root.derive(`m/44'/1'/0'/0/${account.index}`);
    assert.equal(account.secretKey, bytesToHex(key.privateKey));
    assert.equal(account.address, addressOf(secp.getPublicKey(key.privateKey, true)));
    assert.equal(account.balance, 10000);
    assert.equal(account.faucet, account.index === 9);
  }
  assert.deepEqual(wallets, data.devAccounts.map((a) => a.address), "the accounts are the node's wallets");
});

test("urql: ten chained sends from one account wait in the pool, then one block holds them in order", async (t) => {
  const [from, to] = await resetToAccounts(t);
  await post("mutation { setMining(mode: MANUAL) { mode } }");
  const ids = [];
  for (let i = 0; i < 10; i++) {
    const sent = await urql
      .mutation("mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 900) { status txId } }", { f: from, t: to })
      .toPromise();
    assert.equal(sent.error, undefined, String(sent.error));
    assert.equal(sent.data.send.status, "PENDING");
    ids.push(sent.data.send.txId);
  }
  const mined = await urql
    .mutation("mutation($a: String!) { mineBlock(address: $a, txCount: 10) { transactions { id inputs { txId } } } }", { a: to })
    .toPromise();
  assert.equal(mined.error, undefined, String(mined.error));
  const txs = mined.data.mineBlock.transactions.slice(1);
  assert.deepEqual(txs.map((tx) => tx.id), ids, "all ten, in the order sent");
  // Each after the first spends the change of the one before it.
  txs.slice(1).forEach((tx, i) => assert.ok(tx.inputs.some((input) => input.txId === ids[i]), `payment ${i + 1}`));
  const { address } = await client.request("query($a: String!) { address(address: $a) { balance } }", { a: from });
  assert.equal(address.balance, 1000);
});

test("graphql-request funds a key no node holds; @noble/secp256k1 signs its spend", async (t) => {
  const [account] = await resetToAccounts(t);
  const secret = secp.utils.randomSecretKey();
  const publicKey = secp.getPublicKey(secret, true);
  const owner = addressOf(publicKey);
  const { fund } = await client.request("mutation($a: String!) { fund(address: $a, amount: 300) { status block { height } } }", { a: owner });
  assert.deepEqual(fund, { status: "MINED", block: { height: 1 } });
  const { buildTransaction: unsigned } = await client.request(
    "query($f: String!, $t: String!) { buildTransaction(from: $f, to: $t, amount: 120) { txId rawHex inputs { value address sighash } } }",
    { f: owner, t: account },
  );
  const bytes = hexToBytes(unsigned.rawHex);
  const txid = sha256d(bytes);
  const parts = [bytes.subarray(0, 8)];
  let offset = 8;
  unsigned.inputs.forEach((input, index) => {
    const pubkeyHash = base58check.decode(input.address).subarray(1);
    const digest = sha256d(concatBytes(utf8ToBytes("pocket-chain/sighash/v1"), txid, u32(index), u64(input.value), pubkeyHash));
    assert.equal(bytesToHex(digest), input.sighash);
    const signature = secp.sign(digest, secret, { prehash: false });
    parts.push(bytes.subarray(offset, offset + 36), new Uint8Array([1]), signature, publicKey);
    offset += 37;
  });
  parts.push(bytes.subarray(offset));
  const raw = bytesToHex(concatBytes(...parts));
  const { submitTransaction } = await client.request("mutation($h: String!) { submitTransaction(rawHex: $h) { status } }", { h: raw });
  assert.equal(submitTransaction.status, "MINED");
  const { address } = await client.request("query($a: String!) { address(address: $a) { balance } }", { a: owner });
  assert.equal(address.balance, 180);
  await assert.rejects(
    client.request("mutation($a: String!) { fund(address: $a, amount: 2000000) { status } }", { a: owner }),
    (error) => error.response.errors[0].extensions.code === "FAUCET_EMPTY",
  );
});
