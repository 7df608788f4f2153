// The chain's figures in one line: height, tip, parameters, supply and sizes.
import { shorten } from "../logic";
import type { ChainInfo } from "./types";

export function ChainInfoBar({ chain }: { chain: ChainInfo }) {
  return (
    <section className="chain-info" data-testid="chain-info">
      <span>height <b>{chain.height ?? "—"}</b></span>
      <span>tip <code>{chain.tipHash ? shorten(chain.tipHash) : "—"}</code></span>
      <span>difficulty <b>{chain.difficultyBits}</b> bits</span>
      <span>reward <b>{chain.reward}</b></span>
      <span>supply <b>{chain.totalSupply}</b></span>
      <span>UTXOs <b>{chain.utxoCount}</b></span>
      <span>pending <b>{chain.poolSize}</b></span>
    </section>
  );
}
