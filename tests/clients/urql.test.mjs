// urql over HTTP (and graphql-ws for its subscription exchange): queries, a mutation with an
// omitted optional variable, paging, and a live subscription.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { httpUrl, mineWhileWatched, reset, wsUrl } from "./common.mjs";

const ws = createWsClient({ url: wsUrl, webSocketImpl: WebSocket });
const client = new Client({
  url: httpUrl,
  exchanges: [
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
      }),
    }),
  ],
  requestPolicy: "network-only",
});

test("urql runs queries and a mutation with an omitted optional variable", async () => {
  const wallets = await reset();
  const mined = await client
    .mutation("mutation($a: String!, $n: Int) { mineBlock(address: $a, txCount: $n) { height txCount } }", { a: wallets[0] })
    .toPromise();
  assert.equal(mined.error, undefined, String(mined.error));
  assert.equal(mined.data.mineBlock.txCount, 3);
  const overview = await client.query("{ chain { height poolSize } }", {}).toPromise();
  assert.deepEqual(overview.data.chain, { height: 10, poolSize: 0 });
});

test("urql pages through every block", async () => {
  await reset();
  const heights = [];
  let after = null;
  for (;;) {
    const page = await client
      .query("query($after: String) { blocks(first: 4, after: $after) { pageInfo { hasNextPage endCursor } nodes { height } } }", { after })
      .toPromise();
    assert.equal(page.error, undefined, String(page.error));
    heights.push(...page.data.blocks.nodes.map((b) => b.height));
    if (!page.data.blocks.pageInfo.hasNextPage) break;
    after = page.data.blocks.pageInfo.endCursor;
  }
  assert.deepEqual(heights, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test("urql errors carry codes", async () => {
  const result = await client.query("{ block(height: 6309192608) { hash } }", {}).toPromise();
  assert.equal(result.error.graphQLErrors[0].extensions.code, "BAD_REQUEST");
});

test("urql subscribes through graphql-ws", async () => {
  const wallets = await reset();
  const seen = [];
  const { unsubscribe } = client
    .subscription("subscription { blockMined { height } }", {})
    .subscribe((result) => seen.push(result.data.blockMined.height));
  const expected = await mineWhileWatched(wallets[0], seen, 3);
  unsubscribe();
  assert.deepEqual(seen.slice(seen.indexOf(expected[0])), expected);
  await ws.dispose();
});
