// The test stand's own logic, free of React and the network so it can be unit-tested.

/** A GraphQL error as the server sends it. */
export interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** The form fields an error can be shown next to. */
export type Field = "from" | "to" | "amount" | "address" | "txCount" | "blocks" | "form";

/**
 * Which form field an error concerns, from its stable code (and, for addresses, the argument the
 * server names), so the message appears next to what the user must fix.
 */
export function fieldOf(error: GqlError, form: "send" | "mine"): Field {
  const code = error.extensions?.code;
  const named = error.extensions?.field;
  switch (code) {
    case "INVALID_ADDRESS":
      if (named === "from" || named === "to" || named === "address") return named;
      return form === "send" ? "from" : "address";
    case "INVALID_AMOUNT":
    case "INSUFFICIENT_FUNDS":
      return "amount";
    case "SAME_ADDRESS":
      return "to";
    case "UNKNOWN_WALLET":
    case "WALLET_LOCKED":
      return "from";
    case "BAD_REQUEST":
      return form === "mine" ? "txCount" : "form";
    default:
      return "form";
  }
}

/** Groups errors by the field they belong to. */
export function errorsByField(errors: GqlError[], form: "send" | "mine"): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  for (const error of errors) {
    const field = fieldOf(error, form);
    out[field] = out[field] ? `${out[field]}; ${error.message}` : error.message;
  }
  return out;
}

/** `abcdef…123456`: enough of a hash to tell blocks apart at a glance. */
export function shorten(hash: string, keep = 6): string {
  return hash.length <= keep * 2 + 1 ? hash : `${hash.slice(0, keep)}…${hash.slice(-keep)}`;
}

/** The Authorization header for a token, if any (whitespace trimmed; empty means none). */
export function authHeader(token: string | null | undefined): Record<string, string> {
  const trimmed = (token ?? "").trim();
  return trimmed ? { Authorization: `Bearer ${trimmed}` } : {};
}

/** The WebSocket URL of the API on the page's own server. */
export function wsUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql/ws`;
}

/** Parses a whole number typed into a form; null when it is not one. */
export function parseWhole(text: string): number | null {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : null;
}

/** A timestamp (seconds or milliseconds since the epoch) as local date and time. */
export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString();
}

/** "1 transaction", "3 transactions". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Whole seconds from `nowMs` until Unix second `at` (0 once it is due). */
export function secondsUntil(at: number, nowMs: number): number {
  return Math.max(0, Math.ceil(at - nowMs / 1000));
}

/** What a search box holds: a block height, an address, or a 64-hex hash (a txid or a block). */
export type SearchTarget =
  | { kind: "height"; height: number }
  | { kind: "address"; address: string }
  | { kind: "hash"; hash: string }
  | { kind: "invalid" };

export function classifySearch(text: string): SearchTarget {
  const t = text.trim();
  if (/^\d{1,9}$/.test(t)) return { kind: "height", height: Number(t) };
  if (/^[0-9a-fA-F]{64}$/.test(t)) return { kind: "hash", hash: t.toLowerCase() };
  if (/^[1-9A-HJ-NP-Za-km-z]{25,35}$/.test(t)) return { kind: "address", address: t };
  return { kind: "invalid" };
}

/** The merkle path drawn bottom-up: at each level, whether the sibling sits left or right. */
export function proofSteps(index: number, siblings: string[]): { level: number; side: "left" | "right"; sibling: string }[] {
  let position = index;
  return siblings.map((sibling, level) => {
    const side = position % 2 === 0 ? "right" : "left";
    position = Math.floor(position / 2);
    return { level, side, sibling };
  });
}

/** A block of the tree as the stand draws it. */
export interface TreeNode {
  hash: string;
  prevHash: string;
  height: number;
  mainChain: boolean;
}

/** Where a block is drawn: its column (by height) and lane (0: the main chain). */
export interface Placed<T extends TreeNode> {
  block: T;
  column: number;
  lane: number;
}

/**
 * Lays the block tree out in lanes: the main chain on lane 0, each side branch on a lane of its
 * own — a block continues its parent's lane when that lane is free at its height, and otherwise
 * takes the first free lane. Columns count heights from the lowest shown.
 */
export function layoutTree<T extends TreeNode>(blocks: T[]): Placed<T>[] {
  if (blocks.length === 0) return [];
  const lowest = Math.min(...blocks.map((b) => b.height));
  const laneOf = new Map<string, number>();
  const taken = new Set<string>();
  const sorted = [...blocks].sort((a, b) => a.height - b.height || Number(b.mainChain) - Number(a.mainChain) || a.hash.localeCompare(b.hash));
  const out: Placed<T>[] = [];
  for (const block of sorted) {
    let lane = 0;
    if (!block.mainChain) {
      const parentLane = laneOf.get(block.prevHash);
      lane = parentLane !== undefined && parentLane > 0 && !taken.has(`${block.height}:${parentLane}`) ? parentLane : 1;
      while (taken.has(`${block.height}:${lane}`)) lane++;
    }
    taken.add(`${block.height}:${lane}`);
    laneOf.set(block.hash, lane);
    out.push({ block, column: block.height - lowest, lane });
  }
  return out;
}

/**
 * Joins the wrapped lines of every `description` in an answer (the schema's doc comments are
 * written at 100 columns; GraphiQL would show each line break): a line break becomes a space
 * unless it ends a paragraph or starts a list item.
 */
export function unwrapDescriptions<T>(value: T): T {
  if (Array.isArray(value)) return value.map(unwrapDescriptions) as T;
  // Only plain JSON objects: a streamed answer (an async iterable) passes through untouched.
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = key === "description" && typeof inner === "string"
      ? inner.replace(/([^\n])\n(?!\n|\s*[-*] |\s*\d+\. )/g, "$1 ")
      : unwrapDescriptions(inner);
  }
  return out as T;
}
