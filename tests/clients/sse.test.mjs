// graphql-sse (the protocol's reference client, by the author of graphql-ws) in distinct
// connections mode at /graphql/stream: a query, a live subscription, a resumed stream, refusals
// coded as on every other transport.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "graphql-sse";
import { base, mine, mineWhileWatched, reset } from "./common.mjs";

const client = createClient({ url: `${base}/graphql/stream`, singleConnection: false, retryAttempts: 0 });

/** Runs one operation to its end (or until `stop` says so) and returns every answer. */
function run(payload, stop = () => false) {
  return new Promise((resolve, reject) => {
    const answers = [];
    let dispose = () => {};
    dispose = client.subscribe(payload, {
      next: (answer) => {
        answers.push(answer);
        if (stop(answers)) {
          dispose();
          resolve(answers);
        }
      },
      error: reject,
      complete: () => resolve(answers),
    });
  });
}

test("a query over SSE answers once and completes", async () => {
  await reset();
  const answers = await run({ query: "{ chain { height } wallets(first: 10) { totalCount } }" });
  assert.equal(answers.length, 1);
  assert.deepEqual(answers[0].data, { chain: { height: 9 }, wallets: { totalCount: 8 } });
});

test("a subscription over SSE streams every mined block in order", async () => {
  const wallets = await reset();
  const seen = [];
  let dispose = () => {};
  const ended = new Promise((resolve, reject) => {
    dispose = client.subscribe(
      { query: "subscription { blockMined { height txCount } }" },
      { next: ({ data }) => seen.push(data.blockMined.height), error: reject, complete: resolve },
    );
  });
  const expected = await mineWhileWatched(wallets[0], seen, 3);
  dispose();
  await ended;
  assert.deepEqual(seen, expected);
});

test("a resumed stream over SSE replays exactly the missed blocks", async () => {
  const wallets = await reset();
  const heights = [await mine(wallets[0]), await mine(wallets[0])];
  const answers = await run(
    { query: "subscription($h: Int!) { blockMined(afterHeight: $h) { height } }", variables: { h: 9 } },
    (all) => all.length === 2,
  );
  assert.deepEqual(answers.map((a) => a.data.blockMined.height), heights);
});

test("refusals arrive as a next event with the same codes as over HTTP and WebSocket", async () => {
  const unknown = await run({ query: "{ nope }" });
  assert.equal(unknown.length, 1);
  assert.equal(unknown[0].errors[0].extensions.code, "BAD_REQUEST");
  const deep = await run({ query: `{ ${"blocks(first: 1) { nodes { ".repeat(7)}height${" } }".repeat(7)} }` });
  assert.match(deep[0].errors[0].message, /--max-depth/);
  const refused = await run({
    query: "mutation { send(from: \"nope\", to: \"nope2\", amount: 1) { status } }",
  });
  assert.equal(refused[0].errors[0].extensions.code, "INVALID_ADDRESS");
  const range = await run({ query: "{ block(height: 99999999999) { hash } }" });
  assert.match(range[0].errors[0].message, /GraphQL's Int has 32 bits/);
});
