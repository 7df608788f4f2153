// The dev chain through clients we did not write: Apollo sets the mining mode and sees a send
// mined at once (AUTO), urql takes and reverts a snapshot, and graphql-ws hears the revert
// (`chainReset`) and then `blockMined` continuing from the restored tip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { httpUrl, mineWhileWatched, post, reset, until, wsUrl } from "./common.mjs";

const apollo = new ApolloClient({ link: new HttpLink({ uri: httpUrl }), cache: new InMemoryCache() });
const urql = new Client({ url: httpUrl, exchanges: [fetchExchange], requestPolicy: "network-only" });

const SET_MINING = gql`
  mutation SetMining($mode: MiningMode!, $address: String, $interval: Int) {
    setMining(mode: $mode, address: $address, intervalSeconds: $interval) { mode address intervalSeconds nextBlockAt }
  }
`;

test("Apollo switches to AUTO mining: a send comes back MINED, naming its block", async (t) => {
  const wallets = await reset();
  t.after(() => post("mutation { setMining(mode: MANUAL) { mode } }"));
  const { data: before } = await apollo.query({ query: gql`{ mining { mode address } }`, fetchPolicy: "no-cache" });
  if (before.mining.address === null) {
    await assert.rejects(
      apollo.mutate({ mutation: SET_MINING, variables: { mode: "AUTO" } }),
      (error) => CombinedGraphQLErrors.is(error) && error.errors[0].extensions.code === "MINER_ADDRESS_REQUIRED",
    );
  }
  const { data } = await apollo.mutate({ mutation: SET_MINING, variables: { mode: "AUTO", address: wallets[6] } });
  assert.deepEqual([data.setMining.mode, data.setMining.address], ["AUTO", wallets[6]]);
  const { data: sent } = await apollo.mutate({
    mutation: gql`mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 2) { status txId block { height } } }`,
    variables: { f: wallets[0], t: wallets[4] },
  });
  assert.equal(sent.send.status, "MINED");
  assert.equal(sent.send.block.height, 10);
  await assert.rejects(
    apollo.mutate({ mutation: SET_MINING, variables: { mode: "INTERVAL", interval: 0 } }),
    (error) => CombinedGraphQLErrors.is(error) && error.errors[0].extensions.code === "BAD_REQUEST",
  );
});

test("urql takes and reverts a snapshot; graphql-ws hears the revert, then blocks from the restored tip", async () => {
  const wallets = await reset();
  const taken = await urql.mutation('mutation { snapshot(name: "before") { id height tipHash } }', {}).toPromise();
  assert.equal(taken.error, undefined, String(taken.error));
  const snapshot = taken.data.snapshot;
  assert.equal(snapshot.height, 9);

  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const heights = [];
  const resets = [];
  const stopBlocks = ws.subscribe(
    { query: "subscription { blockMined { height } }" },
    { next: (r) => heights.push(r.data.blockMined.height), error: () => {}, complete: () => {} },
  );
  const stopResets = ws.subscribe(
    { query: "subscription { chainReset { cause height tipHash snapshotId } }" },
    { next: (r) => resets.push(r.data.chainReset), error: () => {}, complete: () => {} },
  );
  await mineWhileWatched(wallets[0], heights, 2);
  const reverted = await urql.mutation("mutation($id: ID!) { revert(id: $id) { height tipHash } }", { id: snapshot.id }).toPromise();
  assert.equal(reverted.error, undefined, String(reverted.error));
  assert.deepEqual(reverted.data.revert, { height: 9, tipHash: snapshot.tipHash });
  await until(() => resets.length === 1);
  assert.deepEqual(resets[0], { cause: "REVERT", height: 9, tipHash: snapshot.tipHash, snapshotId: snapshot.id });
  const seen = heights.length;
  const next = await post("mutation($a: String!) { mineBlock(address: $a) { height } }", { a: wallets[1] });
  assert.equal(next.data.mineBlock.height, 10);
  await until(() => heights.length === seen + 1);
  assert.equal(heights.at(-1), 10);
  stopBlocks();
  stopResets();
  await ws.dispose();

  const listed = await urql.query("{ snapshots { id name } }", {}).toPromise();
  assert.deepEqual(listed.data.snapshots, [{ id: snapshot.id, name: "before" }]);
  const deleted = await urql.mutation("mutation($id: ID!) { deleteSnapshot(id: $id) }", { id: snapshot.id }).toPromise();
  assert.equal(deleted.data.deleteSnapshot, true);
});

test("urql drops a pending transaction and clears the pool; graphql-ws hears each leave", async () => {
  await reset();
  const pooled = (await post("{ pool { nodes { id txId from } } }")).data.pool.nodes;
  assert.equal(pooled.length, 2, "the training scenario leaves two pending transactions");
  const [first, second] = pooled;

  // Replaying from before the first entry shows when the subscription is in place.
  const ws = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const events = [];
  const stop = ws.subscribe(
    { query: "subscription($after: Int) { poolChanged(afterId: $after) { id status error } }", variables: { after: first.id - 1 } },
    { next: (r) => events.push(r.data.poolChanged), error: () => {}, complete: () => {} },
  );
  await until(() => events.length === 2);
  assert.deepEqual(events.map((e) => [e.id, e.status]), [[first.id, "PENDING"], [second.id, "PENDING"]]);

  const drop = "mutation($t: String!) { dropTransaction(txId: $t) }";
  const dropped = await urql.mutation(drop, { t: first.txId }).toPromise();
  assert.equal(dropped.error, undefined, String(dropped.error));
  assert.equal(dropped.data.dropTransaction, true);
  await until(() => events.length === 3);
  assert.deepEqual(events[2], { id: first.id, status: "REJECTED", error: "dropped: dropTransaction" });
  const again = await urql.mutation(drop, { t: first.txId }).toPromise();
  assert.equal(again.data.dropTransaction, false, "a transaction no longer pending is not dropped twice");
  const bad = await urql.mutation(drop, { t: "not-a-txid" }).toPromise();
  assert.equal(bad.error.graphQLErrors[0].extensions.code, "BAD_REQUEST");

  // Gone from the queue, and its sender's coins are free: a new payment is pooled.
  const status = await post("query($t: String!) { transactionStatus(txId: $t) { state } }", { t: first.txId });
  assert.equal(status.data.transactionStatus, null);
  const resent = await post(
    "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { status } }",
    { f: first.from, t: second.from },
  );
  assert.equal(resent.errors, undefined, JSON.stringify(resent.errors));
  assert.equal(resent.data.send.status, "PENDING");

  const cleared = await urql.mutation("mutation { clearPool }", {}).toPromise();
  assert.equal(cleared.data.clearPool, 2);
  await until(() => events.filter((e) => e.error === "dropped: clearPool").length === 2);
  const left = await post("{ pool { totalCount } rejected: pool(includeRejected: true) { totalCount } }");
  assert.equal(left.data.pool.totalCount, 0);
  assert.ok(left.data.rejected.totalCount >= 3, "the dropped transactions are in the refusal log");
  stop();
  await ws.dispose();
});

test("Apollo moves the dev clock: increaseTime, then a fixed next timestamp, used once", async () => {
  const wallets = await reset();
  const mine = gql`mutation($a: String!) { mineBlock(address: $a) { timestamp } }`;
  const { data: ahead } = await apollo.mutate({
    mutation: gql`mutation { increaseTime(seconds: 7200) { timeOffsetSeconds nextBlockTimestamp } }`,
  });
  assert.deepEqual([ahead.increaseTime.timeOffsetSeconds, ahead.increaseTime.nextBlockTimestamp], [7200, null]);
  const before = Math.floor(Date.now() / 1000);
  const { data: first } = await apollo.mutate({ mutation: mine, variables: { a: wallets[0] } });
  assert.ok(first.mineBlock.timestamp >= before + 7200, `${first.mineBlock.timestamp} is two hours ahead of ${before}`);

  const fixed = first.mineBlock.timestamp + 600;
  const { data: set } = await apollo.mutate({
    mutation: gql`mutation($t: Int!) { setNextBlockTimestamp(timestamp: $t) { nextBlockTimestamp } }`,
    variables: { t: fixed },
  });
  assert.equal(set.setNextBlockTimestamp.nextBlockTimestamp, fixed);
  const { data: second } = await apollo.mutate({ mutation: mine, variables: { a: wallets[0] } });
  assert.equal(second.mineBlock.timestamp, fixed);
  await assert.rejects(
    apollo.mutate({
      mutation: gql`mutation($t: Int!) { setNextBlockTimestamp(timestamp: $t) { nextBlockTimestamp } }`,
      variables: { t: fixed - 1 },
    }),
    (error) => CombinedGraphQLErrors.is(error) && error.errors[0].extensions.code === "BAD_REQUEST",
  );
  // A reset starts a new chain on the wall clock.
  await reset();
  const { data: after } = await apollo.query({ query: gql`{ mining { timeOffsetSeconds } }`, fetchPolicy: "no-cache" });
  assert.equal(after.mining.timeOffsetSeconds, 0);
});
