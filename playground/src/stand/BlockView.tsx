// One block in full: its header, and each transaction's inputs and outputs.
import { formatTime, shorten } from "../logic";
import type { BlockDetail } from "./types";

export function BlockView({ block, onClose }: { block: BlockDetail; onClose: () => void }) {
  return (
    <div className="block-detail" data-testid="block-detail">
      <button className="small close" onClick={onClose}>close</button>
      <h3>Block #{block.height}</h3>
      <dl>
        <dt>hash</dt><dd><code>{block.hash}</code></dd>
        <dt>previous</dt><dd><code>{block.prevHash}</code></dd>
        <dt>merkle root</dt><dd><code>{block.merkleRoot}</code></dd>
        <dt>time</dt><dd>{formatTime(block.timestamp, "s")}</dd>
        <dt>difficulty</dt><dd>{block.difficultyBits} bits</dd>
        <dt>nonce</dt><dd>{block.nonce}</dd>
      </dl>
      {block.transactions.map((tx) => (
        <div key={tx.id} className="tx">
          <div><code>{tx.id}</code> {tx.isCoinbase && <em className="tag coinbase">coinbase</em>}</div>
          <div className="io">
            <ul>
              {tx.inputs.map((i, n) => (
                <li key={n}>{i.txId === null ? <em>new coins (height {i.coinbaseHeight})</em> : <><code>{shorten(i.txId)}:{i.vout}</code> {i.address && <code>{shorten(i.address, 8)}</code>} {i.value}</>}</li>
              ))}
            </ul>
            <span>→</span>
            <ul>
              {tx.outputs.map((o) => (
                <li key={o.index}><code>{shorten(o.address, 8)}</code> {o.value} {o.spent && <em className="tag">spent</em>}</li>
              ))}
            </ul>
          </div>
        </div>
      ))}
    </div>
  );
}
