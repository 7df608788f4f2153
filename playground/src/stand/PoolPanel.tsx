// The pool: pending transactions, and the log of refused sends with why.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { PoolQuery } from "../generated/operations";
import { formatTime, shorten } from "../logic";
import type { PoolEntry } from "./types";

export function PoolPanel({ changes }: { changes: number }) {
  const [pool, setPool] = useState<PoolEntry[]>([]);

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
              <td>{p.error ? <span className="error-text">{p.error}</span> : <span className="tag">pending</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
