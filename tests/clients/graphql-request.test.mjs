// graphql-request: POST and GET, batches, and errors thrown with their codes. (It sends
// mutations by POST even when told GET; GET's refusal of mutations is tested in tests/it/api.rs.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientError, GraphQLClient, batchRequests } from "graphql-request";
import { httpUrl, reset } from "./common.mjs";

test("graphql-request queries by POST and by GET", async () => {
  await reset();
  for (const method of ["POST", "GET"]) {
    const client = new GraphQLClient(httpUrl, { method });
    const data = await client.request("query($h: Int) { block(height: $h) { height txCount } }", { h: 3 });
    assert.deepEqual(data.block, { height: 3, txCount: 2 }, method);
  }
});

test("batches, and coded errors", async () => {
  await reset();
  const answers = await batchRequests(httpUrl, [
    { document: "{ chain { height } }" },
    { document: "query($h: Int!) { block(height: $h) { height } }", variables: { h: 0 } },
  ]);
  assert.deepEqual(answers.map((a) => a.data), [{ chain: { height: 9 } }, { block: { height: 0 } }]);
  await assert.rejects(
    new GraphQLClient(httpUrl).request("{ chain { noSuchField } }"),
    (error) => error instanceof ClientError && error.response.errors[0].extensions.code === "BAD_REQUEST",
  );
});
