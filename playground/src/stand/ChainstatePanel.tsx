// The chainstate: unspent outputs, optionally of one address, 50 at a time ("more" follows the
// page's cursor); the list keeps the panel at its own height and scrolls.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { ChainstateQuery } from "../generated/operations";
import { shorten } from "../logic";
import type { Utxo } from "./types";

export function ChainstatePanel({ filter, onFilter, changes }: { filter: string; onFilter: (address: string) => void; changes: number }) {
  const [utxos, setUtxos] = useState<Utxo[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);

  const load = async (after: string | null) => {
    const r = await gql<ChainstateQuery>(queries.chainstate, { address: filter.trim() || null, after });
    const page = r.data?.chainstate;
    if (!page) return;
    setUtxos((shown) => (after ? [...shown, ...page.nodes] : page.nodes));
    setTotal(page.totalCount);
    setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
  };

  // A change (or another filter) starts again from the first page.
  useEffect(() => { void load(null); }, [filter, changes]);

  return (
    <section className="panel" data-testid="chainstate">
      <h2>Chainstate <small>unspent outputs</small></h2>
      <input placeholder="filter by address" value={filter} data-testid="utxo-filter" onChange={(e) => onFilter(e.target.value)} />
      <p className="count" data-testid="utxo-count">{utxos.length} of {total}</p>
      <div className="scroll-list">
      <table>
        <thead><tr><th>output</th><th>address</th><th>value</th><th>height</th></tr></thead>
        <tbody>
          {utxos.map((u) => (
            <tr key={`${u.txId}:${u.vout}`}>
              <td><code>{shorten(u.txId)}:{u.vout}</code>{u.coinbase && <em className="tag">coinbase</em>}</td>
              <td><code>{u.address}</code></td><td>{u.value}</td><td>{u.height}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && <button type="button" data-testid="utxo-more" onClick={() => void load(next)}>more</button>}
      </div>
    </section>
  );
}
