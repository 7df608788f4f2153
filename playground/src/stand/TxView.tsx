// A transaction's page: its status with live confirmations, its raw bytes, and its merkle proof
// drawn as the path from its id up to the block's root.
import { useEffect, useState } from "react";
import { gql, liveClient, queries } from "../api";
import type { LiveStatusSubscription, TransactionPageQuery } from "../generated/operations";
import { proofSteps, shorten } from "../logic";
import type { Page } from "./ExplorerPanel";

type Status = LiveStatusSubscription["transactionStatus"];

export function TxView({ txId, onOpen }: { txId: string; onOpen: (page: Page) => void }) {
  const [tx, setTx] = useState<TransactionPageQuery["transaction"] | null>(null);
  const [status, setStatus] = useState<Status>(null);
  useEffect(() => {
    void gql<TransactionPageQuery>(queries.transaction, { id: txId }).then((r) => setTx(r.data?.transaction ?? null));
    const client = liveClient(() => undefined);
    const stop = client.subscribe<LiveStatusSubscription>(
      { query: queries.liveStatus, variables: { txId } },
      {
        next: (r) => {
          setStatus(r.data?.transactionStatus ?? null);
          void gql<TransactionPageQuery>(queries.transaction, { id: txId }).then((q) => setTx(q.data?.transaction ?? null));
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    return () => { stop(); void client.dispose(); };
  }, [txId]);
  return (
    <div className="page" data-testid="tx-page">
      <h3>Transaction <code>{shorten(txId, 10)}</code></h3>
      <p data-testid="tx-status">
        {status === null ? "unknown" : status.state === "PENDING"
          ? `pending, number ${status.poolPosition} in the queue`
          : `mined in block #${status.height}, ${status.confirmations} confirmation${status.confirmations === 1 ? "" : "s"}`}
      </p>
      {tx && (
        <>
          <ul>
            {tx.outputs.map((o) => (
              <li key={o.index}><code className="link-like" onClick={() => onOpen({ kind: "address", address: o.address })}>{o.address}</code> {o.value} {o.spent && <em className="tag">spent</em>}</li>
            ))}
          </ul>
          <details>
            <summary>raw bytes ({tx.rawHex.length / 2})</summary>
            <code className="raw" data-testid="tx-raw">{tx.rawHex}</code>
          </details>
          <h4>Merkle proof: position {tx.merkleProof.index} of {tx.block?.txCount}</h4>
          <ol className="proof" data-testid="tx-proof">
            <li><code>{shorten(tx.id, 10)}</code> this transaction</li>
            {proofSteps(tx.merkleProof.index, tx.merkleProof.siblings).map((step) => (
              <li key={step.level} data-testid="proof-step">
                hashed with <code>{shorten(step.sibling, 10)}</code> on its {step.side}
              </li>
            ))}
            <li>= root <code data-testid="proof-root">{shorten(tx.merkleProof.root, 10)}</code>, the header of block #{tx.block?.height}</li>
          </ol>
        </>
      )}
    </div>
  );
}
