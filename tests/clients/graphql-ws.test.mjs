// graphql-ws, the reference client of graphql-transport-ws: every block once and in order,
// errors with codes, mutations over the socket; and the protocol's close codes as seen by a
// plain `ws` WebSocket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { mineWhileWatched, post, reset, until, wsUrl } from "./common.mjs";

const client = () => createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });

test("graphql-ws gets every block once, in order", async () => {
  const wallets = await reset();
  const ws = client();
  const seen = [];
  const errors = [];
  const unsubscribe = ws.subscribe(
    { query: "subscription { blockMined { height hash } }" },
    { next: (r) => seen.push(r.data.blockMined.height), error: (e) => errors.push(e), complete: () => {} },
  );
  const expected = await mineWhileWatched(wallets[0], seen, 10);
  unsubscribe();
  await ws.dispose();
  assert.deepEqual(errors, []);
  assert.deepEqual(seen, expected);
});

test("graphql-ws gets each block of a mineBlocks call, in order", async () => {
  const wallets = await reset();
  const ws = client();
  const seen = [];
  const unsubscribe = ws.subscribe(
    { query: "subscription { blockMined { height } }" },
    { next: (r) => seen.push(r.data.blockMined.height), error: () => {}, complete: () => {} },
  );
  // Once the subscription is in place (a block seen), one call mines five more.
  const [first] = await mineWhileWatched(wallets[0], seen, 0);
  const body = await post(
    "mutation($a: String!) { mineBlocks(address: $a, count: 5, txCount: 0) { height } }",
    { a: wallets[0] },
  );
  const heights = body.data.mineBlocks.map((b) => b.height);
  await until(() => seen.length >= 6);
  await new Promise((resolve) => setTimeout(resolve, 200));
  unsubscribe();
  await ws.dispose();
  assert.deepEqual(seen, [first, ...heights]);
});

test("graphql-ws sees coded errors, and runs queries and mutations", async () => {
  const wallets = await reset();
  const ws = client();
  const run = (payload) =>
    new Promise((resolve) => {
      const results = [];
      ws.subscribe(payload, {
        next: (r) => results.push(r),
        error: (errors) => resolve({ errors }),
        complete: () => resolve({ results }),
      });
    });
  for (const query of [
    "subscription { noSuchField }",
    "subscription { blockMined { height } poolChanged { id } }",
    "subscription($unused: Int) { blockMined { height } }",
  ]) {
    const { errors } = await run({ query });
    assert.ok(Array.isArray(errors), `${query}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0].extensions.code, "BAD_REQUEST", query);
  }
  const { results } = await run({
    query: "mutation($a: String!, $n: Int) { mineBlock(address: $a, txCount: $n) { height txCount } }",
    variables: { a: wallets[0] },
  });
  assert.deepEqual(results[0].data.mineBlock, { height: 10, txCount: 3 });
  await ws.dispose();
});

/** Opens a raw socket, sends `messages`, and resolves with the close code. */
function closeCode(messages, protocol = "graphql-transport-ws") {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, protocol);
    socket.on("open", () => messages.forEach((m) => socket.send(typeof m === "string" ? m : JSON.stringify(m))));
    socket.on("close", (code) => resolve(code));
    socket.on("error", reject);
  });
}

test("the protocol's close codes", async () => {
  const subscribe = { id: "1", type: "subscribe", payload: { query: "subscription { blockMined { height } }" } };
  const init = { type: "connection_init" };
  assert.equal(await closeCode([subscribe]), 4401);
  assert.equal(await closeCode(["{nope"]), 4400);
  assert.equal(await closeCode([init, subscribe, subscribe]), 4409);
  assert.equal(await closeCode([init, init]), 4429);
});

test("graphql-ws receives a subscription's fields in the order the query selected them", async () => {
  const wallets = await reset();
  const ws = client();
  const seen = [];
  const unsubscribe = ws.subscribe(
    { query: "subscription { blockMined(afterHeight: -1) { txCount height hash } }" },
    { next: (r) => seen.push(r.data.blockMined), error: () => {}, complete: () => {} },
  );
  await until(() => seen.length > 0);
  unsubscribe();
  await ws.dispose();
  // JSON.parse keeps the order the server wrote the keys in.
  assert.deepEqual(Object.keys(seen[0]), ["txCount", "height", "hash"]);
  assert.ok(wallets.length > 0);
});
