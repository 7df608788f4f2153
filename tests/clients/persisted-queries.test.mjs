// Apollo Client's persisted-queries link (automatic persisted queries): the hash alone once the
// server knows the document, over POST and GET; a server that forgot falls back to the document.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { httpUrl, reset } from "./common.mjs";

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** A client whose every request body (or GET URL) is recorded in `sent`. */
function client(useGETForHashedQueries) {
  const sent = [];
  const recording = (url, init) => {
    sent.push(init?.body ? JSON.parse(init.body) : Object.fromEntries(new URL(url).searchParams));
    return fetch(url, init);
  };
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
    new HttpLink({ uri: httpUrl, fetch: recording }),
  );
  return { apollo: new ApolloClient({ link, cache: new InMemoryCache() }), sent };
}

const HEIGHT = gql`query PersistedHeight($n: Int!) { chain { height } blocks(first: $n) { nodes { height } } }`;

test("the document is sent once, then only its hash (POST)", async () => {
  await reset();
  const { apollo, sent } = client(false);
  // A fresh document: the server asks for it (PersistedQueryNotFound), the link sends it.
  const first = await apollo.query({ query: HEIGHT, variables: { n: 2 }, fetchPolicy: "no-cache" });
  assert.equal(first.data.chain.height, 9);
  assert.equal(sent.length, 2);
  assert.equal(sent[0].query, undefined);
  assert.ok(sent[1].query.includes("PersistedHeight"));
  const second = await apollo.query({ query: HEIGHT, variables: { n: 3 }, fetchPolicy: "no-cache" });
  assert.equal(second.data.blocks.nodes.length, 3);
  assert.equal(sent.length, 3);
  assert.equal(sent[2].query, undefined, "the hash alone");
  assert.equal(sent[2].extensions.persistedQuery.sha256Hash.length, 64);
});

test("the hash alone over GET, as CDNs cache it", async () => {
  const { apollo, sent } = client(true);
  const query = gql`query PersistedWallets { wallets(first: 3) { totalCount } }`;
  for (let i = 0; i < 2; i++) {
    const { data } = await apollo.query({ query, fetchPolicy: "no-cache" });
    assert.equal(data.wallets.totalCount, 8);
  }
  const gets = sent.filter((s) => s.extensions !== undefined && s.query === undefined);
  assert.ok(gets.length >= 2, JSON.stringify(sent));
  assert.ok(JSON.parse(gets.at(-1).extensions).persistedQuery.sha256Hash);
});

test("a hash the server does not know, and a hash that does not match, are coded", async () => {
  const unknown = await fetch(httpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ never sent }") } } }),
  }).then((r) => r.json());
  assert.equal(unknown.errors[0].message, "PersistedQueryNotFound");
  assert.equal(unknown.errors[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
  const mismatch = await fetch(httpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query: "{ chain { height } }", extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ other }") } } }),
  }).then((r) => r.json());
  assert.equal(mismatch.errors[0].extensions.code, "BAD_REQUEST");
  assert.match(mismatch.errors[0].message, /SHA-256/);
});

test("a refused document is not kept: its hash stays unknown", async () => {
  const deep = `{ ${"blocks(first: 1) { nodes { ".repeat(7)}height${" } }".repeat(7)} }`;
  const persisted = { persistedQuery: { version: 1, sha256Hash: sha256(deep) } };
  const refused = await fetch(httpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query: deep, extensions: persisted }),
  }).then((r) => r.json());
  assert.match(refused.errors[0].message, /--max-depth/);
  const again = await fetch(httpUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ extensions: persisted }),
  }).then((r) => r.json());
  assert.equal(again.errors[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
});
