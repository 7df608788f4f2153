// The pool: pending transactions (each can be dropped, its descendants with it), and the log of
// refused sends with why.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { DropTransactionMutation, PoolQuery } from "../generated/operations";
import { formatTime, shorten } from "../logic";
import type { PoolEntry } from "./types";

export function PoolPanel({ changes, onDone }: { changes: number; onDone: () => Promise<void> }) {
  const [pool, setPool] = useState<PoolEntry[]>([]);
  const [error, setError] = useState("");

  const drop = async (txId: string) => {
    const r = await gql<DropTransactionMutation>(queries.dropTransaction, { txId });
    setError(r.errors ? r.errors.map((x) => x.message).join("; ") : "");
    await onDone();
  };

  useEffect(() => {
    void gql<PoolQuery>(queries.pool).then((r) => {
      if (r.data) setPool(r.data.pool.nodes);
    });
  }, [changes]);

  return (
    <section className="panel" data-testid="pool">
      <h2>Pool <small>pending, and rejected sends</small></h2>
      <table>
        <thead><tr><th>#</th><th>from → to</th><th>amount</th><th>status</th></tr></thead>
        <tbody>
          {pool.map((p) => (
            <tr key={p.id} className={p.error ? "rejected" : "pending"} data-testid={p.error ? "pool-rejected" : "pool-pending"}>
              <td>{p.id}</td>
              <td><code>{shorten(p.from, 8)}</code> → <code>{shorten(p.to, 8)}</code><div className="when">{formatTime(p.createdAt, "ms")}</div></td>
              <td>{p.amount}</td>
              <td>
                {p.error ? <span className="error-text">{p.error}</span> : <span className="tag">pending</span>}
                {!p.error && p.txId && (
                  <button type="button" data-testid="pool-drop" onClick={() => void drop(p.txId as string)}>drop</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p className="error-text" data-testid="pool-error">{error}</p>}
    </section>
  );
}
