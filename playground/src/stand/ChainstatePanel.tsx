// The chainstate: unspent outputs, optionally of one address.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { ChainstateQuery } from "../generated/operations";
import { shorten } from "../logic";
import type { Utxo } from "./types";

export function ChainstatePanel({ filter, onFilter, changes }: { filter: string; onFilter: (address: string) => void; changes: number }) {
  const [utxos, setUtxos] = useState<Utxo[]>([]);

  useEffect(() => {
    void gql<ChainstateQuery>(queries.chainstate, { address: filter.trim() || null }).then((r) => {
      setUtxos(r.data?.chainstate.nodes ?? []);
    });
  }, [filter, changes]);

  return (
    <section className="panel" data-testid="chainstate">
      <h2>Chainstate <small>unspent outputs</small></h2>
      <input placeholder="filter by address" value={filter} data-testid="utxo-filter" onChange={(e) => onFilter(e.target.value)} />
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
    </section>
  );
}
