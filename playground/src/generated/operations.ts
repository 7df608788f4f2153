/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** Fields to replace on a copy of a stored block; those left out stay as mined. */
export type BlockPatch = {
  /** The header's merkle root, hex. */
  merkleRoot: string | null | undefined;
  /** The header's nonce: a whole number from 0 to 18446744073709551615, as a string. */
  nonce: string | null | undefined;
  /** One output of one transaction. */
  output: OutputPatch | null | undefined;
  /**
   * The hash of a re-mined copy of the previous block that this copy links to (a chain of
   * copies in the lab): the link rule checks against it instead of the stored previous block.
   */
  parentHash: string | null | undefined;
  /** The header's link to the previous block, hex. */
  prevHash: string | null | undefined;
  /** The header's timestamp, Unix seconds. */
  timestamp: number | null | undefined;
};

/** Why the chain went back. */
export type ChainResetCause =
  /** `resetSystem`: a new chain from a new genesis. */
  | 'RESET'
  /** `revert`: back to a snapshot. */
  | 'REVERT';

/** When blocks are mined without a `mineBlock` call. */
export type MiningMode =
  /**
   * Every accepted transaction is mined into a block in the same commit: the `send` answer
   * already names its block.
   */
  | 'AUTO'
  /**
   * A block every `intervalSeconds`, with whatever is pending (empty blocks included), paced
   * from the previous block's timestamp.
   */
  | 'INTERVAL'
  /** Only when asked (`mineBlock`, `mineBlocks`). */
  | 'MANUAL';

/** A change to one output. */
export type OutputPatch = {
  /** A new owner. */
  address: string | null | undefined;
  /** The transaction's position in the block (0 is the coinbase). */
  tx: number;
  /** A new value. */
  value: number | null | undefined;
  /** The output's index. */
  vout: number;
};

/** Where the connection to a peer stands. */
export type PeerState =
  /**
   * It misbehaved (`lastError` says how): nothing is asked of it or sent to it until
   * `bannedUntil`. A ban lasts a minute, twice as long at each repeat, at most a day.
   */
  | 'BANNED'
  /** Connecting, or checking that it runs the same chain. */
  | 'CONNECTING'
  /** Unreachable; retried after a wait that grows to 15 s. */
  | 'DOWN'
  /** Caught up, following its new blocks and transactions. */
  | 'FOLLOWING'
  /** It runs another chain (genesis block or parameters); `lastError` says how. Not retried. */
  | 'INCOMPATIBLE'
  /** Fetching blocks this node lacks. */
  | 'SYNCING';

/** Where an entry stands. */
export type PoolEntryStatus =
  /** Mined and removed from the pool (only seen in `poolChanged`). */
  | 'MINED'
  /** Waiting to be mined. */
  | 'PENDING'
  /** Refused; `error` says why. Never mined, never locks anyone. */
  | 'REJECTED';

/** What `resetSystem` starts the chain again with. */
export type ResetTarget =
  /** The dev accounts and their premined genesis (the node's accounts, or the standard ten). */
  | 'ACCOUNTS'
  /** No blocks, no wallets, no premine. */
  | 'EMPTY'
  /** The reference's training scenario: 8 wallets, 12 blocks, two pending payments. */
  | 'TRAINING';

/** How a block fares against one rule. */
export type RuleStatus =
  /** The rule is broken; `detail` says how. */
  | 'FAILED'
  /** The rule holds. */
  | 'PASSED'
  /** Not checked: a rule it depends on failed. */
  | 'SKIPPED';

/** Waiting or mined. */
export type TxState =
  /** In a block of the chain. */
  | 'MINED'
  /** In the pool, waiting to be mined. */
  | 'PENDING';

export type OverviewQueryVariables = Exact<{ [key: string]: never; }>;


export type OverviewQuery = { chain: { height: number | null, tipHash: string | null, difficultyBits: number, reward: number, totalSupply: number, utxoCount: number, poolSize: number }, wallets: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ address: string, balance: number, pending: { txId: string | null, amount: number, to: string } | null }> } };

export type WalletsPageQueryVariables = Exact<{
  after: string;
}>;


export type WalletsPageQuery = { wallets: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ address: string, balance: number, pending: { txId: string | null, amount: number, to: string } | null }> } };

export type BlocksQueryVariables = Exact<{
  after: string | null | undefined;
}>;


export type BlocksQuery = { blocks: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ hash: string, height: number, prevHash: string, txCount: number }> } };

export type BlockQueryVariables = Exact<{
  height: number;
}>;


export type BlockQuery = { block: { hash: string, height: number, prevHash: string, merkleRoot: string, timestamp: number, difficultyBits: number, nonce: string, txCount: number, headerHex: string, transactions: Array<{ id: string, isCoinbase: boolean, inputs: Array<{ txId: string | null, vout: number | null, address: string | null, value: number | null, coinbaseHeight: number | null }>, outputs: Array<{ index: number, address: string, value: number, spent: boolean }> }> } | null };

export type ChainstateQueryVariables = Exact<{
  address: string | null | undefined;
  after: string | null | undefined;
}>;


export type ChainstateQuery = { chainstate: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ txId: string, vout: number, address: string, value: number, height: number, coinbase: boolean }> } };

export type PoolQueryVariables = Exact<{
  after: string | null | undefined;
}>;


export type PoolQuery = { pool: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: number, txId: string | null, from: string, to: string, amount: number, createdAt: number, error: string | null, status: PoolEntryStatus }> } };

export type NewWalletMutationVariables = Exact<{ [key: string]: never; }>;


export type NewWalletMutation = { newWallet: { address: string } };

export type SendMutationVariables = Exact<{
  from: string;
  to: string;
  amount: number;
}>;


export type SendMutation = { send: { id: number, txId: string | null, status: PoolEntryStatus, block: { height: number } | null } };

export type MineMutationVariables = Exact<{
  address: string;
  txCount: number | null | undefined;
}>;


export type MineMutation = { mineBlock: { height: number, hash: string, txCount: number } };

export type MineManyMutationVariables = Exact<{
  address: string;
  count: number;
  txCount: number | null | undefined;
}>;


export type MineManyMutation = { mineBlocks: Array<{ height: number, txCount: number }> };

export type ResetMutationVariables = Exact<{
  to: ResetTarget;
}>;


export type ResetMutation = { resetSystem: Array<{ address: string }> };

export type MiningQueryVariables = Exact<{ [key: string]: never; }>;


export type MiningQuery = { mining: { mode: MiningMode, intervalSeconds: number | null, address: string | null, txCount: number, nextBlockAt: number | null, timeOffsetSeconds: number } };

export type IncreaseTimeMutationVariables = Exact<{
  seconds: number;
}>;


export type IncreaseTimeMutation = { increaseTime: { timeOffsetSeconds: number } };

export type DevAccountsQueryVariables = Exact<{ [key: string]: never; }>;


export type DevAccountsQuery = { devAccounts: Array<{ index: number, address: string, secretKey: string, balance: number, faucet: boolean }> };

export type FundMutationVariables = Exact<{
  address: string;
  amount: number;
}>;


export type FundMutation = { fund: { txId: string | null, status: PoolEntryStatus, block: { height: number } | null } };

export type DropTransactionMutationVariables = Exact<{
  txId: string;
}>;


export type DropTransactionMutation = { dropTransaction: boolean };

export type SetMiningMutationVariables = Exact<{
  mode: MiningMode;
  address: string | null | undefined;
  intervalSeconds: number | null | undefined;
  txCount: number | null | undefined;
}>;


export type SetMiningMutation = { setMining: { mode: MiningMode, intervalSeconds: number | null, address: string | null, txCount: number, nextBlockAt: number | null, timeOffsetSeconds: number } };

export type SnapshotsQueryVariables = Exact<{ [key: string]: never; }>;


export type SnapshotsQuery = { snapshots: Array<{ id: string, name: string | null, height: number | null, tipHash: string | null, createdAt: number }> };

export type TakeSnapshotMutationVariables = Exact<{
  name: string | null | undefined;
}>;


export type TakeSnapshotMutation = { snapshot: { id: string, height: number | null } };

export type RevertMutationVariables = Exact<{
  id: string | number;
}>;


export type RevertMutation = { revert: { height: number | null, tipHash: string | null } };

export type DeleteSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteSnapshotMutation = { deleteSnapshot: boolean };

export type LiveResetSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveResetSubscription = { chainReset: { cause: ChainResetCause, height: number | null } };

export type LiveMiningModeSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveMiningModeSubscription = { miningChanged: { mode: MiningMode } };

export type LiveSnapshotsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveSnapshotsSubscription = { snapshotsChanged: Array<{ id: string }> };

export type AddressPageQueryVariables = Exact<{
  address: string;
}>;


export type AddressPageQuery = { address: { address: string, balance: number, received: number, sent: number, txCount: number, utxos: { totalCount: number, nodes: Array<{ txId: string, vout: number, value: number, height: number }> }, transactions: { nodes: Array<{ netAmount: number, transaction: { id: string, confirmations: number, block: { height: number } | null } }> }, pending: Array<{ txId: string | null, from: string, to: string, amount: number }> } };

export type LookupQueryVariables = Exact<{
  hash: string;
}>;


export type LookupQuery = { transaction: { id: string } | null, block: { height: number } | null };

export type TransactionPageQueryVariables = Exact<{
  id: string;
}>;


export type TransactionPageQuery = { transaction: { id: string, rawHex: string, position: number, merkleProof: { index: number, siblings: Array<string>, root: string }, block: { height: number, hash: string, merkleRoot: string, txCount: number } | null, outputs: Array<{ index: number, address: string, value: number, spent: boolean }> } | null };

export type LiveStatusSubscriptionVariables = Exact<{
  txId: string;
}>;


export type LiveStatusSubscription = { transactionStatus: { state: TxState, height: number | null, confirmations: number, poolPosition: number | null } | null };

export type ExplainQueryVariables = Exact<{
  hash: string;
  patch: BlockPatch | null | undefined;
}>;


export type ExplainQuery = { explainBlock: { hash: string, merkleRoot: string, valid: boolean, laterBlocks: number, checks: Array<{ rule: string, status: RuleStatus, detail: string | null }>, brokenLink: { height: number, hash: string } | null } | null };

export type LiveMiningProgressSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveMiningProgressSubscription = { miningProgress: { height: number, bits: number, attempts: number, bestHash: string | null, bestZeroBits: number | null, hashesPerSecond: number, expectedAttempts: number, done: boolean } };

export type WalletBalanceQueryVariables = Exact<{
  address: string;
}>;


export type WalletBalanceQuery = { address: { balance: number, pending: Array<{ txId: string | null, amount: number, to: string }> } };

export type BuildQueryVariables = Exact<{
  from: string;
  to: string;
  amount: number;
}>;


export type BuildQuery = { buildTransaction: { txId: string, rawHex: string, inputs: Array<{ value: number, address: string, sighash: string }>, outputs: Array<{ value: number, address: string }> } };

export type SubmitMutationVariables = Exact<{
  rawHex: string;
}>;


export type SubmitMutation = { submitTransaction: { id: number, txId: string | null, status: PoolEntryStatus } };

export type LivePeersSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LivePeersSubscription = { peersChanged: Array<{ url: string, state: PeerState, height: number | null, tipHash: string | null, lastSeen: number | null, lastError: string | null, bannedUntil: number | null, blocksReceived: number, transactionsReceived: number }> };

export type AddPeerMutationVariables = Exact<{
  url: string;
}>;


export type AddPeerMutation = { addPeer: { url: string, state: PeerState } };

export type RemovePeerMutationVariables = Exact<{
  url: string;
}>;


export type RemovePeerMutation = { removePeer: boolean };

export type BlockTreeQueryVariables = Exact<{
  depth: number;
}>;


export type BlockTreeQuery = { blockTree: Array<{ hash: string, height: number, prevHash: string, mainChain: boolean, invalidReason: string | null, txCount: number }>, chain: { sideBlocks: number, chainWork: string } };

export type LiveReorgSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveReorgSubscription = { chainReorganized: { forkHeight: number, oldTip: string, newTip: string, oldHeight: number, newHeight: number, disconnected: Array<string>, connected: Array<string>, returnedToPool: Array<string>, dropped: Array<string> } };

export type LiveBlocksSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveBlocksSubscription = { blockMined: { height: number, hash: string, txCount: number } };

export type LivePoolSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LivePoolSubscription = { poolChanged: { id: number, status: PoolEntryStatus } };
