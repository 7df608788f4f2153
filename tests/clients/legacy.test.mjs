// subscriptions-transport-ws, the legacy protocol's own client (what Apollo's old
// WebSocketLink used): blocks arrive in order, and a refused operation's error has its code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SubscriptionClient } from "subscriptions-transport-ws";
import WebSocket from "ws";
import { mineWhileWatched, reset, until, wsUrl } from "./common.mjs";

test("the legacy client gets every block once, in order", async () => {
  const wallets = await reset();
  const client = new SubscriptionClient(wsUrl, { reconnect: false }, WebSocket);
  const seen = [];
  const subscription = client
    .request({ query: "subscription { blockMined { height } }" })
    .subscribe({ next: (r) => seen.push(r.data.blockMined.height) });
  const expected = await mineWhileWatched(wallets[0], seen, 5);
  subscription.unsubscribe();
  client.close();
  assert.deepEqual(seen, expected);
});

test("the legacy client sees coded errors", async () => {
  const client = new SubscriptionClient(wsUrl, { reconnect: false }, WebSocket);
  const errors = await new Promise((resolve) => {
    client.request({ query: "subscription { noSuchField }" }).subscribe({ error: resolve, next: (r) => resolve(r.errors) });
  });
  client.close();
  const list = Array.isArray(errors) ? errors : [errors];
  assert.equal(list[0].extensions.code, "BAD_REQUEST", JSON.stringify(errors));
});

test("the legacy client receives fields in the order the query selected them", async () => {
  await reset();
  const client = new SubscriptionClient(wsUrl, { reconnect: false }, WebSocket);
  const seen = [];
  const subscription = client
    .request({ query: "subscription { blockMined(afterHeight: -1) { hash txCount height } }" })
    .subscribe({ next: (r) => seen.push(r.data.blockMined) });
  await until(() => seen.length > 0);
  subscription.unsubscribe();
  client.close();
  assert.deepEqual(Object.keys(seen[0]), ["hash", "txCount", "height"]);
});
