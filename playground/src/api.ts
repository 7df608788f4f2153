// Talking to the pocket server: queries and mutations over POST /graphql, live updates over the
// WebSocket, the API token kept in the browser.
import { createClient, type Client } from "graphql-ws";
import { authHeader, type GqlError, wsUrl } from "./logic";

const TOKEN_KEY = "pocket.apiToken";

export function loadToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? "";
}

export function saveToken(token: string): void {
  if (token.trim()) localStorage.setItem(TOKEN_KEY, token.trim());
  else localStorage.removeItem(TOKEN_KEY);
}

/** What a refusal for a missing or wrong API token says in the page. */
export const UNAUTHORIZED_TEXT = "This server needs its API token for changes: enter it in the token box at the top of the page.";

/** A GraphQL answer: data, or the server's coded errors. */
export interface Result<T> {
  data?: T;
  errors?: GqlError[];
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<Result<T>> {
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...authHeader(loadToken()) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Result<T>;
    // Point at the token box, not at the HTTP header the page sends for the user.
    for (const error of body.errors ?? []) {
      if (error.extensions?.code === "UNAUTHORIZED") error.message = UNAUTHORIZED_TEXT;
    }
    return body;
  } catch (error) {
    return { errors: [{ message: `cannot reach the server: ${String(error)}`, extensions: { code: "NETWORK" } }] };
  }
}

export type Connection = "connecting" | "connected" | "disconnected";

/** A WebSocket client that reconnects forever and reports its state. */
export function liveClient(onState: (state: Connection) => void): Client {
  return createClient({
    url: wsUrl(window.location),
    connectionParams: () => authHeader(loadToken()),
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 10_000)));
    },
    keepAlive: 10_000,
    on: {
      connecting: () => onState("connecting"),
      connected: () => onState("connected"),
      closed: () => onState("disconnected"),
    },
  });
}

// Every operation the stand sends, named; src/generated/operations.ts has their types.
export const queries = {
  overview: /* GraphQL */ `query Overview {
    chain { height tipHash difficultyBits reward totalSupply utxoCount poolSize }
    wallets(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { address balance pending { txId amount to } } }
  }`,
  walletsPage: /* GraphQL */ `query WalletsPage($after: String!) {
    wallets(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { address balance pending { txId amount to } } }
  }`,
  blocks: /* GraphQL */ `query Blocks($after: String) {
    blocks(first: 8, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { hash height prevHash txCount }
    }
  }`,
  block: /* GraphQL */ `query Block($height: Int!) {
    block(height: $height) {
      hash height prevHash merkleRoot timestamp difficultyBits nonce txCount headerHex
      transactions { id isCoinbase inputs { txId vout address value coinbaseHeight } outputs { index address value spent } }
    }
  }`,
  chainstate: /* GraphQL */ `query Chainstate($address: String, $after: String) {
    chainstate(first: 50, address: $address, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { txId vout address value height coinbase }
    }
  }`,
  pool: /* GraphQL */ `query Pool($after: String) {
    pool(first: 50, after: $after, includeRejected: true) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id txId from to amount createdAt error status }
    }
  }`,
  newWallet: /* GraphQL */ `mutation NewWallet { newWallet { address } }`,
  send: /* GraphQL */ `mutation Send($from: String!, $to: String!, $amount: Int!) { send(from: $from, to: $to, amount: $amount) { id txId status block { height } } }`,
  mine: /* GraphQL */ `mutation Mine($address: String!, $txCount: Int) { mineBlock(address: $address, txCount: $txCount) { height hash txCount } }`,
  mineMany: /* GraphQL */ `mutation MineMany($address: String!, $count: Int!, $txCount: Int) { mineBlocks(address: $address, count: $count, txCount: $txCount) { height txCount } }`,
  reset: /* GraphQL */ `mutation Reset($to: ResetTarget!) { resetSystem(to: $to) { address } }`,
  mining: /* GraphQL */ `query Mining { mining { mode intervalSeconds address txCount nextBlockAt timeOffsetSeconds } }`,
  increaseTime: /* GraphQL */ `mutation IncreaseTime($seconds: Int!) { increaseTime(seconds: $seconds) { timeOffsetSeconds } }`,
  devAccounts: /* GraphQL */ `query DevAccounts { devAccounts { index address secretKey balance faucet } }`,
  fund: /* GraphQL */ `mutation Fund($address: String!, $amount: Int!) { fund(address: $address, amount: $amount) { txId status block { height } } }`,
  dropTransaction: /* GraphQL */ `mutation DropTransaction($txId: String!) { dropTransaction(txId: $txId) }`,
  setMining: /* GraphQL */ `mutation SetMining($mode: MiningMode!, $address: String, $intervalSeconds: Int, $txCount: Int) {
    setMining(mode: $mode, address: $address, intervalSeconds: $intervalSeconds, txCount: $txCount) { mode intervalSeconds address txCount nextBlockAt timeOffsetSeconds }
  }`,
  snapshots: /* GraphQL */ `query Snapshots { snapshots { id name height tipHash createdAt } }`,
  takeSnapshot: /* GraphQL */ `mutation TakeSnapshot($name: String) { snapshot(name: $name) { id height } }`,
  revert: /* GraphQL */ `mutation Revert($id: ID!) { revert(id: $id) { height tipHash } }`,
  deleteSnapshot: /* GraphQL */ `mutation DeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) }`,
  liveReset: /* GraphQL */ `subscription LiveReset { chainReset { cause height } }`,
  liveMiningMode: /* GraphQL */ `subscription LiveMiningMode { miningChanged { mode } }`,
  liveSnapshots: /* GraphQL */ `subscription LiveSnapshots { snapshotsChanged { id } }`,
  address: /* GraphQL */ `query AddressPage($address: String!) {
    address(address: $address) {
      address balance received sent txCount
      utxos(first: 50) { totalCount nodes { txId vout value height } }
      transactions(first: 25) { nodes { netAmount transaction { id confirmations block { height } } } }
      pending { txId from to amount }
    }
  }`,
  lookup: /* GraphQL */ `query Lookup($hash: String!) {
    transaction(id: $hash) { id }
    block(hash: $hash) { height }
  }`,
  transaction: /* GraphQL */ `query TransactionPage($id: String!) {
    transaction(id: $id) {
      id rawHex position
      merkleProof { index siblings root }
      block { height hash merkleRoot txCount }
      outputs { index address value spent }
    }
  }`,
  liveStatus: /* GraphQL */ `subscription LiveStatus($txId: String!) {
    transactionStatus(txId: $txId) { state height confirmations poolPosition }
  }`,
  explain: /* GraphQL */ `query Explain($hash: String!, $patch: BlockPatch) {
    explainBlock(hash: $hash, patch: $patch) {
      hash merkleRoot valid laterBlocks
      checks { rule status detail }
      brokenLink { height hash }
    }
  }`,
  liveMining: /* GraphQL */ `subscription LiveMiningProgress {
    miningProgress { height bits attempts bestHash bestZeroBits hashesPerSecond expectedAttempts done }
  }`,
  walletBalance: /* GraphQL */ `query WalletBalance($address: String!) {
    address(address: $address) { balance pending { txId amount to } }
  }`,
  build: /* GraphQL */ `query Build($from: String!, $to: String!, $amount: Int!) {
    buildTransaction(from: $from, to: $to, amount: $amount) { txId rawHex inputs { value address sighash } outputs { value address } }
  }`,
  submit: /* GraphQL */ `mutation Submit($rawHex: String!) { submitTransaction(rawHex: $rawHex) { id txId status } }`,
  livePeers: /* GraphQL */ `subscription LivePeers {
    peersChanged { url state height tipHash lastSeen lastError bannedUntil blocksReceived transactionsReceived }
  }`,
  addPeer: /* GraphQL */ `mutation AddPeer($url: String!) { addPeer(url: $url) { url state } }`,
  removePeer: /* GraphQL */ `mutation RemovePeer($url: String!) { removePeer(url: $url) }`,
  blockTree: /* GraphQL */ `query BlockTree($depth: Int!) {
    blockTree(depth: $depth) { hash height prevHash mainChain invalidReason txCount }
    chain { sideBlocks chainWork }
  }`,
  liveReorg: /* GraphQL */ `subscription LiveReorg {
    chainReorganized { forkHeight oldTip newTip oldHeight newHeight disconnected connected returnedToPool dropped }
  }`,
  liveBlocks: /* GraphQL */ `subscription LiveBlocks { blockMined { height hash txCount } }`,
  livePool: /* GraphQL */ `subscription LivePool { poolChanged { id status } }`,
};
