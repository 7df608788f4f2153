// One block in full: its header, each transaction's inputs and outputs (opening in the explorer
// when `onOpen` is given), and the tamper view.
import { useState } from "react";
import { formatTime, shorten } from "../logic";
import type { Page } from "./ExplorerPanel";
import { TamperPanel } from "./TamperPanel";
import type { BlockDetail } from "./types";

export function BlockView({ block, onClose, onOpen }: { block: BlockDetail; onClose: () => void; onOpen?: (page: Page) => void }) {
  const [tampering, setTampering] = useState(false);
  return (
    <div className="block-detail" data-testid="block-detail">
      <button className="small close" onClick={onClose}>close</button>
      <h3>Block #{block.height}</h3>
      <dl>
        <dt>hash</dt><dd><code>{block.hash}</code></dd>
        <dt>previous</dt><dd><code>{block.prevHash}</code></dd>
        <dt>merkle root</dt><dd><code>{block.merkleRoot}</code></dd>
        <dt>time</dt><dd>{formatTime(block.timestamp)}</dd>
        <dt>difficulty</dt><dd>{block.difficultyBits} bits</dd>
        <dt>nonce</dt><dd>{block.nonce}</dd>
      </dl>
      {block.transactions.map((tx) => (
        <div key={tx.id} className="tx">
          <div><code className={onOpen ? "link-like" : ""} onClick={() => onOpen?.({ kind: "tx", txId: tx.id })} data-testid="block-tx">{tx.id}</code> {tx.isCoinbase && <em className="tag coinbase">coinbase</em>}</div>
          <div className="io">
            <ul>
              {tx.inputs.map((i, n) => (
                <li key={n}>{i.txId === null ? <em>new coins (height {i.coinbaseHeight})</em> : <><code>{shorten(i.txId)}:{i.vout}</code> {i.address && <code>{shorten(i.address, 8)}</code>} {i.value}</>}</li>
              ))}
            </ul>
            <span>→</span>
            <ul>
              {tx.outputs.map((o) => (
                <li key={o.index}><code className={onOpen ? "link-like" : ""} onClick={() => onOpen?.({ kind: "address", address: o.address })}>{shorten(o.address, 8)}</code> {o.value} {o.spent && <em className="tag">spent</em>}</li>
              ))}
            </ul>
          </div>
        </div>
      ))}
      <button data-testid="tamper-open" onClick={() => setTampering(!tampering)}>{tampering ? "stop tampering" : "Tamper with this block…"}</button>
      {tampering && <TamperPanel key={block.hash} block={block} />}
    </div>
  );
}
