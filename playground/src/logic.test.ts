import { describe, expect, it } from "vitest";
import { authHeader, classifySearch, errorsByField, fieldOf, layoutTree, parseWhole, plural, proofSteps, secondsUntil, shorten, wsUrl } from "./logic";

describe("fieldOf", () => {
  it("puts address errors next to the argument the server names", () => {
    expect(fieldOf({ message: "x", extensions: { code: "INVALID_ADDRESS", field: "to" } }, "send")).toBe("to");
    expect(fieldOf({ message: "x", extensions: { code: "INVALID_ADDRESS", field: "address" } }, "mine")).toBe("address");
  });
  it("maps each send refusal to its field", () => {
    expect(fieldOf({ message: "x", extensions: { code: "INSUFFICIENT_FUNDS" } }, "send")).toBe("amount");
    expect(fieldOf({ message: "x", extensions: { code: "INVALID_AMOUNT" } }, "send")).toBe("amount");
    expect(fieldOf({ message: "x", extensions: { code: "SAME_ADDRESS" } }, "send")).toBe("to");
    expect(fieldOf({ message: "x", extensions: { code: "WALLET_LOCKED" } }, "send")).toBe("from");
    expect(fieldOf({ message: "x", extensions: { code: "UNKNOWN_WALLET" } }, "send")).toBe("from");
  });
  it("sends bad mining counts to txCount and unknown codes to the form", () => {
    expect(fieldOf({ message: "x", extensions: { code: "BAD_REQUEST" } }, "mine")).toBe("txCount");
    expect(fieldOf({ message: "x", extensions: { code: "INTERNAL" } }, "mine")).toBe("form");
    expect(fieldOf({ message: "x" }, "send")).toBe("form");
  });
});

describe("errorsByField", () => {
  it("joins several messages for one field", () => {
    const out = errorsByField(
      [
        { message: "a", extensions: { code: "INVALID_AMOUNT" } },
        { message: "b", extensions: { code: "INSUFFICIENT_FUNDS" } },
      ],
      "send",
    );
    expect(out).toEqual({ amount: "a; b" });
  });
});

describe("helpers", () => {
  it("shortens long hashes only", () => {
    expect(shorten("0123456789abcdef0123")).toBe("012345…abcdef".replace("abcdef", "ef0123"));
    expect(shorten("abc")).toBe("abc");
  });
  it("builds the bearer header only for a token", () => {
    expect(authHeader(" t ")).toEqual({ Authorization: "Bearer t" });
    expect(authHeader("")).toEqual({});
    expect(authHeader(null)).toEqual({});
  });
  it("derives the WebSocket URL from the page", () => {
    expect(wsUrl({ protocol: "http:", host: "127.0.0.1:8080" })).toBe("ws://127.0.0.1:8080/graphql/ws");
    expect(wsUrl({ protocol: "https:", host: "chain.example" })).toBe("wss://chain.example/graphql/ws");
  });
  it("counts with the right plural", () => {
    expect(plural(1, "transaction")).toBe("1 transaction");
    expect(plural(0, "transaction")).toBe("0 transactions");
    expect(plural(3, "block")).toBe("3 blocks");
  });
  it("parses whole numbers and nothing else", () => {
    expect(parseWhole(" 5 ")).toBe(5);
    expect(parseWhole("-2")).toBe(-2);
    expect(parseWhole("1.5")).toBeNull();
    expect(parseWhole("abc")).toBeNull();
    expect(parseWhole("")).toBeNull();
  });
});

describe("secondsUntil", () => {
  it("counts whole seconds down to the due time, then stays at zero", () => {
    expect(secondsUntil(100, 97_500)).toBe(3);
    expect(secondsUntil(100, 99_999)).toBe(1);
    expect(secondsUntil(100, 100_000)).toBe(0);
    expect(secondsUntil(100, 250_000)).toBe(0);
  });
});

describe("classifySearch", () => {
  it("tells heights, hashes and addresses apart", () => {
    expect(classifySearch(" 42 ")).toEqual({ kind: "height", height: 42 });
    expect(classifySearch("AB".repeat(32))).toEqual({ kind: "hash", hash: "ab".repeat(32) });
    expect(classifySearch("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")).toEqual({ kind: "address", address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" });
    expect(classifySearch("hello world")).toEqual({ kind: "invalid" });
    expect(classifySearch("0OIl")).toEqual({ kind: "invalid" });
  });
});

describe("proofSteps", () => {
  it("puts the sibling on the right at even positions and on the left at odd ones", () => {
    expect(proofSteps(2, ["a", "b"]).map((s) => s.side)).toEqual(["right", "left"]);
    expect(proofSteps(5, ["a", "b", "c"]).map((s) => s.side)).toEqual(["left", "right", "left"]);
  });
});

describe("layoutTree", () => {
  const block = (hash: string, prevHash: string, height: number, mainChain: boolean) => ({ hash, prevHash, height, mainChain });

  it("puts the main chain on lane 0 and a side branch on a lane of its own", () => {
    const placed = layoutTree([
      block("m1", "m0", 1, true),
      block("m0", "g", 0, true),
      block("s1", "m0", 1, false),
      block("s2", "s1", 2, false),
      block("m2", "m1", 2, true),
    ]);
    const lanes = Object.fromEntries(placed.map((p) => [p.block.hash, [p.column, p.lane]]));
    expect(lanes).toEqual({ m0: [0, 0], m1: [1, 0], m2: [2, 0], s1: [1, 1], s2: [2, 1] });
  });

  it("gives a second branch at the same height the next free lane", () => {
    const placed = layoutTree([
      block("m1", "m0", 1, true),
      block("a1", "m0", 1, false),
      block("b1", "m0", 1, false),
      block("b2", "b1", 2, false),
    ]);
    const lanes = Object.fromEntries(placed.map((p) => [p.block.hash, p.lane]));
    expect(lanes).toEqual({ m1: 0, a1: 1, b1: 2, b2: 2 });
  });

  it("lays out nothing for an empty chain", () => {
    expect(layoutTree([])).toEqual([]);
  });
});

import { hashWithNonce, leadingZeroBits, patchHeader } from "./lab";

describe("the lab's proof of work", () => {
  it("counts leading zero bits in byte order", () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x10, 0xff]))).toBe(19);
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32);
  });

  it("hashes the header laid out as docs/protocol.md says", () => {
    // The timestamp is little-endian at bytes 68–75; a nonce found from 0 upward meets the bits.
    const header = patchHeader("01000000" + "00".repeat(84), { prevHash: "00".repeat(32), merkleRoot: "11".repeat(32), timestamp: 1_700_000_000 });
    expect(Array.from(header.subarray(68, 76))).toEqual([0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0]);
    let nonce = 0n;
    while (leadingZeroBits(hashWithNonce(header, nonce)) < 8) nonce++;
    expect(leadingZeroBits(hashWithNonce(header, nonce))).toBeGreaterThanOrEqual(8);
  });
});

import { unwrapDescriptions } from "./logic";

describe("unwrapDescriptions", () => {
  it("joins wrapped lines, keeping paragraphs and list items", () => {
    const answer = { data: { __schema: { types: [{ name: "Q", description: "one\ntwo\n\nthree\n- a\n- b" }] } } };
    expect(unwrapDescriptions(answer).data.__schema.types[0].description).toBe("one two\n\nthree\n- a\n- b");
    expect(unwrapDescriptions({ description: null, n: 1 })).toEqual({ description: null, n: 1 });
    const stream = (async function* () { yield 1; })();
    expect(unwrapDescriptions(stream)).toBe(stream);
  });
});
