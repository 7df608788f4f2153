// The browser wallet's cryptography, from docs/protocol.md ("Keys and addresses", "Signing away
// from the node"), with audited libraries only: @noble/secp256k1 signs, @noble/hashes hashes,
// @scure/base writes Base58Check. Free of React and the network, so it can be unit-tested; the
// secret key never leaves these functions except to localStorage.
import * as secp from "@noble/secp256k1";
import { hmac } from "@noble/hashes/hmac.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { createBase58check } from "@scure/base";

secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

const base58check = createBase58check(sha256);
const SIGHASH_TAG = utf8ToBytes("pocket-chain/sighash/v1");
const UNSIGNED_INPUT = 37; // outpoint (36) + witness tag 0x00

const sha256d = (bytes: Uint8Array) => sha256(sha256(bytes));

/** A fresh secret key, 32 bytes as hex. */
export function newSecretKey(): string {
  return bytesToHex(secp.utils.randomSecretKey());
}

/** The compressed public key and address of a secret key. */
export function keyInfo(secretHex: string): { publicKey: Uint8Array; address: string } {
  const publicKey = secp.getPublicKey(hexToBytes(secretHex), true);
  return { publicKey, address: addressOf(ripemd160(sha256(publicKey))) };
}

/** Base58Check of version 0x00 and a pubkey hash. */
export function addressOf(pubkeyHash: Uint8Array): string {
  return base58check.encode(concatBytes(new Uint8Array([0]), pubkeyHash));
}

/** The pubkey hash an address locks to (throws on a bad checksum or version). */
export function pubkeyHashOf(address: string): Uint8Array {
  const payload = base58check.decode(address);
  if (payload.length !== 21 || payload[0] !== 0) throw new Error(`${address} is not a Pocket Chain address`);
  return payload.subarray(1);
}

/** What `buildTransaction` answers, as far as signing needs it. */
export interface Unsigned {
  txId: string;
  rawHex: string;
  inputs: { value: number; address: string; sighash: string }[];
  outputs: { value: number; address: string }[];
}

const u32le = (n: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
};
const u64le = (n: number) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
};

/** The digest input `index` signs: SHA256d(tag ‖ txid ‖ index ‖ value ‖ pubkey hash). */
export function sighash(txid: Uint8Array, index: number, value: number, pubkeyHash: Uint8Array): Uint8Array {
  return sha256d(concatBytes(SIGHASH_TAG, txid, u32le(index), u64le(value), pubkeyHash));
}

/**
 * Signs every input of `unsigned` with the key, after checking what the node said: the txid is
 * the unsigned bytes' hash, each input is the key's own coin, and each sighash is the one computed
 * here (a node lying about a value would only get a signature that does not verify, but a wallet
 * should say so first). Returns the signed encoding as hex.
 */
export function signTransaction(unsigned: Unsigned, secretHex: string): string {
  const { publicKey, address } = keyInfo(secretHex);
  const bytes = hexToBytes(unsigned.rawHex);
  const txid = sha256d(bytes);
  if (bytesToHex(txid) !== unsigned.txId) throw new Error("the node's txid is not the hash of its bytes");
  const count = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (count !== unsigned.inputs.length) throw new Error("the node listed another number of inputs");
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let offset = 8;
  unsigned.inputs.forEach((input, index) => {
    if (input.address !== address) throw new Error(`input ${index} is not this wallet's coin`);
    const digest = sighash(txid, index, input.value, pubkeyHashOf(input.address));
    if (bytesToHex(digest) !== input.sighash) throw new Error(`input ${index}: the node's sighash differs`);
    if (bytes[offset + 36] !== 0) throw new Error(`input ${index} is not unsigned`);
    const signature = secp.sign(digest, hexToBytes(secretHex), { prehash: false }); // compact, low-S
    parts.push(bytes.subarray(offset, offset + 36), new Uint8Array([1]), signature, publicKey);
    offset += UNSIGNED_INPUT;
  });
  parts.push(bytes.subarray(offset));
  return bytesToHex(concatBytes(...parts));
}
