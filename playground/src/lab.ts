// The lab's proof of work in the browser: a block header with its fields replaced, and the
// leading zero bits of a hash. docs/protocol.md, "Block header and proof of work":
// version u32 ‖ prev_hash [32] ‖ merkle_root [32] ‖ timestamp u64 ‖ bits u32 ‖ nonce u64.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

/** The header fields a tampered copy may change. */
export interface HeaderFields {
  prevHash: string;
  merkleRoot: string;
  timestamp: number;
}

/** `headerHex` with the previous hash, merkle root and timestamp replaced (nonce left as is). */
export function patchHeader(headerHex: string, fields: HeaderFields): Uint8Array {
  const header = hexToBytes(headerHex);
  if (header.length !== 88) throw new Error(`a header is 88 bytes, not ${header.length}`);
  header.set(hexToBytes(fields.prevHash), 4);
  header.set(hexToBytes(fields.merkleRoot), 36);
  new DataView(header.buffer).setBigUint64(68, BigInt(fields.timestamp), true);
  return header;
}

/** The header's hash with `nonce` written in: SHA256d, as hex. */
export function hashWithNonce(header: Uint8Array, nonce: bigint): Uint8Array {
  new DataView(header.buffer, header.byteOffset).setBigUint64(80, nonce, true);
  return sha256(sha256(header));
}

/** Leading zero bits of a hash, as proof of work counts them (the bytes in order). */
export function leadingZeroBits(hash: Uint8Array): number {
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

/** A hash as the API prints it. */
export const hex = bytesToHex;

/** How long `attempts` take at `rate` per second, in words. */
export function duration(attempts: number, rate: number): string {
  if (rate <= 0) return "—";
  const seconds = attempts / rate;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
