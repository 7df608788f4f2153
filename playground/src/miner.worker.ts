// Searches a nonce for a tampered header, off the page's thread: nonces from 0 upward until the
// double SHA-256 has `bits` leading zero bits, reporting progress about four times a second.
import { hashWithNonce, hex, leadingZeroBits } from "./lab";

export interface MineRequest {
  header: Uint8Array;
  bits: number;
}

export type MineReport =
  | { kind: "progress"; attempts: number; rate: number }
  | { kind: "found"; nonce: string; hash: string; attempts: number; rate: number };

self.onmessage = (event: MessageEvent<MineRequest>) => {
  const { header, bits } = event.data;
  const started = performance.now();
  let reported = started;
  for (let nonce = 0n; ; nonce++) {
    const hash = hashWithNonce(header, nonce);
    const attempts = Number(nonce) + 1;
    if (leadingZeroBits(hash) >= bits) {
      const rate = attempts / Math.max((performance.now() - started) / 1000, 1e-3);
      const found: MineReport = { kind: "found", nonce: nonce.toString(), hash: hex(hash), attempts, rate };
      self.postMessage(found);
      return;
    }
    if ((attempts & 0x3ff) === 0) {
      const now = performance.now();
      if (now - reported > 250) {
        reported = now;
        const progress: MineReport = { kind: "progress", attempts, rate: attempts / ((now - started) / 1000) };
        self.postMessage(progress);
      }
    }
  }
};
