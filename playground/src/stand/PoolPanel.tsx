// The pool: pending transactions (each can be dropped, its descendants with it), and the log of
// refused sends with why.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { DropTransactionMutation, PoolQuery } from "../generated/operations";
import { formatTime, shorten } from "../logic";
import type { PoolEntry } from "./types";

export function PoolPanel({ changes, onDone }: { changes: number; onDone: () => Promise<void> }) {
  const [pool, setPool] = useState<PoolEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState("");

  const load = async (after: string | null) => {
    const r = await gql<PoolQuery>(queries.pool, { after });
    const page = r.data?.pool;
    if (!page) return;
    setPool((shown) => (after ? [...shown, ...page.nodes] : page.nodes));
    setTotal(page.totalCount);
    setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
  };

  const drop = async (txId: string) => {
    const r = await gql<DropTransactionMutation>(queries.dropTransaction, { txId });
    setError(r.errors ? r.errors.map((x) => x.message).join("; ") : "");
    await onDone();
  };

  useEffect(() => { void load(null); }, [changes]);

  return (
    <section className="panel" data-testid="pool">
      <h2>Pool <small>pending, and rejected sends</small></h2>
      <p className="count" data-testid="pool-count">{pool.length} of {total}</p>
      <div className="scroll-list">
      <table>
        <thead><tr><th>#</th><th>from → to</th><th>amount</th><th>status</th></tr></thead>
        <tbody>
          {pool.map((p) => (
            <tr key={p.id} className={p.error ? "rejected" : "pending"} data-testid={p.error ? "pool-rejected" : "pool-pending"}>
              <td>{p.id}</td>
              <td><code>{shorten(p.from, 8)}</code> → <code>{shorten(p.to, 8)}</code><div className="when">{formatTime(p.createdAt)}</div></td>
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
      {next && <button type="button" data-testid="pool-more" onClick={() => void load(next)}>more</button>}
      </div>
      {error && <p className="error-text" data-testid="pool-error">{error}</p>}
    </section>
  );
}
