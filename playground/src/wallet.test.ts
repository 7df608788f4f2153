// The browser wallet's signer against docs/protocol.md's vectors: the key, the address, the
// digest and the signed transaction, byte for byte (RFC 6979 makes the signature deterministic).
import { describe, expect, it } from "vitest";
import { keyInfo, pubkeyHashOf, signTransaction } from "./wallet";

const SECRET = "0000000000000000000000000000000000000000000000000000000000000001";
const ADDRESS = "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH";
const UNSIGNED = "01000000010000001111111111111111111111111111111111111111111111111111111111111111010000000002000000070000000000000022222222222222222222222222222222222222220300000000000000751e76e8199196d454941c45d1b3a323f1433bd6";
const TXID = "b0f9e3d5ee3ec5cbdbb6c8d5d17bb0cd873bf7c67c9a30f5e44db17f42f8a596";
const DIGEST = "a9e7e61e1078dcb1d9567778a3752f42fd68fd04be9a920e5684eaee1e4594f4";
const SIGNED = "010000000100000011111111111111111111111111111111111111111111111111111111111111110100000001e09fd39671da1fafdc2cef7b7d4727103ae62b423af60554fcbf1f7aa148563e79d10429b0a34bf79ade9ce4e6e6e0a7c63a5f07e77e63d968f05305de86b7d80279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179802000000070000000000000022222222222222222222222222222222222222220300000000000000751e76e8199196d454941c45d1b3a323f1433bd6";

describe("the browser wallet signs as docs/protocol.md says", () => {
  it("derives the vector's address and pubkey hash", () => {
    expect(keyInfo(SECRET).address).toBe(ADDRESS);
    expect(Buffer.from(pubkeyHashOf(ADDRESS)).toString("hex")).toBe("751e76e8199196d454941c45d1b3a323f1433bd6");
  });

  it("signs the vector's transaction to the vector's bytes", () => {
    const unsigned = {
      txId: TXID,
      rawHex: UNSIGNED,
      inputs: [{ value: 10, address: ADDRESS, sighash: DIGEST }],
      outputs: [],
    };
    expect(signTransaction(unsigned, SECRET)).toBe(SIGNED);
  });

  it("refuses what the node misstates", () => {
    const honest = { txId: TXID, rawHex: UNSIGNED, inputs: [{ value: 10, address: ADDRESS, sighash: DIGEST }], outputs: [] };
    expect(() => signTransaction({ ...honest, txId: "00".repeat(32) }, SECRET)).toThrow(/txid/);
    expect(() => signTransaction({ ...honest, inputs: [{ value: 11, address: ADDRESS, sighash: DIGEST }] }, SECRET)).toThrow(/sighash/);
    const other = keyInfo("02".repeat(32)).address;
    expect(() => signTransaction({ ...honest, inputs: [{ value: 10, address: other, sighash: DIGEST }] }, SECRET)).toThrow(/not this wallet/);
  });
});
