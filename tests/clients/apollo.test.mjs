// Apollo Client 4 over HTTP: the README's operations, an omitted optional variable, and paging
// through every block with `after` cursors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { httpUrl, reset } from "./common.mjs";

const client = new ApolloClient({ link: new HttpLink({ uri: httpUrl }), cache: new InMemoryCache() });

test("Apollo runs the README's operations", async () => {
  await reset();
  const { data } = await client.query({
    query: gql`{
      chain { height totalSupply poolSize }
      wallets(first: 10) { totalCount nodes { address balance } }
      pool(includeRejected: true) { nodes { id status } }
    }`,
    fetchPolicy: "no-cache",
  });
  assert.equal(data.chain.height, 9);
  assert.deepEqual(data.wallets.nodes.map((w) => w.balance), [75, 22, 1, 0, 0, 0, 1, 1]);
  assert.equal(data.pool.nodes.filter((e) => e.status === "PENDING").length, 2);
});

test("an omitted optional variable leaves the argument's default", async () => {
  const wallets = await reset();
  const { data } = await client.mutate({
    mutation: gql`mutation Mine($a: String!, $n: Int) { mineBlock(address: $a, txCount: $n) { height txCount } }`,
    variables: { a: wallets[1] },
  });
  assert.deepEqual({ height: data.mineBlock.height, txCount: data.mineBlock.txCount }, { height: 10, txCount: 3 });
});

test("Apollo mines many blocks in one call, with txCount omitted", async () => {
  const wallets = await reset();
  const { data } = await client.mutate({
    mutation: gql`mutation MineMany($a: String!, $n: Int!, $t: Int) { mineBlocks(address: $a, count: $n, txCount: $t) { height txCount } }`,
    variables: { a: wallets[1], n: 4 },
  });
  assert.deepEqual(data.mineBlocks.map((b) => [b.height, b.txCount]), [[10, 3], [11, 1], [12, 1], [13, 1]]);
  await assert.rejects(
    client.mutate({
      mutation: gql`mutation($a: String!) { mineBlocks(address: $a, count: 1001) { height } }`,
      variables: { a: wallets[1] },
    }),
    (error) => CombinedGraphQLErrors.is(error) && error.errors[0].extensions.code === "BAD_REQUEST",
  );
});

test("errors reach Apollo with their code", async () => {
  const wallets = await reset();
  await assert.rejects(
    client.mutate({
      mutation: gql`mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1000) { id } }`,
      variables: { f: wallets[2], t: wallets[0] },
    }),
    (error) => CombinedGraphQLErrors.is(error) && error.errors[0].extensions.code === "INSUFFICIENT_FUNDS",
  );
});

test("Apollo pages through every block", async () => {
  await reset();
  const heights = [];
  let after = null;
  for (;;) {
    const { data } = await client.query({
      query: gql`query Page($first: Int, $after: String) {
        blocks(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { height } }
      }`,
      variables: { first: 3, after },
      fetchPolicy: "no-cache",
    });
    heights.push(...data.blocks.nodes.map((b) => b.height));
    if (!data.blocks.pageInfo.hasNextPage) break;
    after = data.blocks.pageInfo.endCursor;
  }
  assert.deepEqual(heights, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test("Apollo's fragments reach the fields a selection names", async () => {
  const wallets = await reset();
  const a = wallets[1];
  const direct = await client.query({
    query: gql`query Direct($a: String!) {
      address(address: $a) { balance received sent txCount }
      chain { height totalSupply utxoCount poolSize genesisHash sideBlocks }
    }`,
    variables: { a },
    fetchPolicy: "no-cache",
  });
  // Apollo adds __typename to every selection, fragments included.
  const fragments = await client.query({
    query: gql`query Fragments($a: String!) {
      address(address: $a) { balance ...Totals }
      chain { height ...Counts }
    }
    fragment Totals on AddressInfo { received sent txCount }
    fragment Counts on ChainInfo { totalSupply utxoCount poolSize genesisHash sideBlocks }`,
    variables: { a },
    fetchPolicy: "no-cache",
  });
  const strip = ({ __typename, ...rest }) => rest;
  assert.deepEqual(strip(fragments.data.address), strip(direct.data.address));
  assert.deepEqual(strip(fragments.data.chain), strip(direct.data.chain));
  assert.equal(direct.data.chain.totalSupply, 100);
  const alone = await client.query({
    query: gql`query Alone($a: String!) { address(address: $a) { balance } chain { height } }`,
    variables: { a },
    fetchPolicy: "no-cache",
  });
  assert.equal(alone.data.address.balance, direct.data.address.balance);
  assert.equal(alone.data.chain.height, direct.data.chain.height);
});
