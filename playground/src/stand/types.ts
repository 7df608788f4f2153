// The shapes the stand shows, taken from the generated operation types (never written by hand).
import type { BlockQuery, BlocksQuery, ChainstateQuery, OverviewQuery, PoolQuery } from "../generated/operations";
import type { Field } from "../logic";

export type Wallet = OverviewQuery["wallets"]["nodes"][number];
export type ChainInfo = OverviewQuery["chain"];
export type BlockSummary = BlocksQuery["blocks"]["nodes"][number];
export type BlockDetail = NonNullable<BlockQuery["block"]>;
export type Utxo = ChainstateQuery["chainstate"]["nodes"][number];
export type PoolEntry = PoolQuery["pool"]["nodes"][number];
export type FieldErrors = Partial<Record<Field, string>>;
