// graphql-js, the reference implementation: the standard introspection query (what GraphiQL,
// Apollo Sandbox, graphql-codegen and Insomnia send) is answered on a default server, and the
// schema it describes is the committed schema.graphql.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema, parse, printSchema, validate,
} from "graphql";
import { post, schemaPath } from "./common.mjs";

const sorted = (schema) => printSchema(lexicographicSortSchema(schema));

for (const options of [
  {},
  { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true },
]) {
  test(`getIntrospectionQuery(${JSON.stringify(options)}) is answered`, async () => {
    const body = await post(getIntrospectionQuery(options));
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const live = buildClientSchema(body.data);
    const committed = buildSchema(readFileSync(schemaPath, "utf8"));
    assert.equal(sorted(live), sorted(committed));
  });
}

test("the README's operations validate against the live schema", async () => {
  const body = await post(getIntrospectionQuery());
  const schema = buildClientSchema(body.data);
  const readme = [
    "mutation { resetSystem { address balance } }",
    "{ chain { height tipHash difficultyBits reward totalSupply utxoCount poolSize } wallets(first: 10) { totalCount nodes { address balance pending { txId amount } } } pool(includeRejected: true) { nodes { id from to amount status error } } }",
    "{ blocks(first: 3) { pageInfo { hasNextPage endCursor } nodes { height hash prevHash merkleRoot nonce txCount transactions { id isCoinbase inputs { txId vout address value } outputs { index address value spent } } } } }",
    "subscription { blockMined { height hash txCount } }",
    "subscription { poolChanged { id from to amount status error } }",
  ];
  for (const operation of readme) assert.deepEqual(validate(schema, parse(operation)), [], operation);
});

test("a hostile depth is still refused with a code", async () => {
  const deep = `{ block(height: 0) { ${"previous { ".repeat(60)}hash${" }".repeat(60)} } }`;
  const body = await post(deep);
  assert.equal(body.errors[0].extensions.code, "BAD_REQUEST");
});
