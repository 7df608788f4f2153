// An address's page: its totals, its history with what each transaction did to it, its unspent
// outputs and what is pending; read again on every change.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { AddressPageQuery } from "../generated/operations";
import { shorten } from "../logic";
import type { Page } from "./ExplorerPanel";

export function AddressView({ address, changes, onOpen }: { address: string; changes: number; onOpen: (page: Page) => void }) {
  const [info, setInfo] = useState<AddressPageQuery["address"] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    void gql<AddressPageQuery>(queries.address, { address }).then((r) => {
      setError(r.errors ? r.errors[0].message : "");
      setInfo(r.data?.address ?? null);
    });
  }, [address, changes]);
  if (error) return <p className="error-text" data-testid="address-error">{error}</p>;
  if (!info) return null;
  return (
    <div className="page" data-testid="address-page">
      <h3>Address <code>{info.address}</code></h3>
      <p>
        balance <b data-testid="address-balance">{info.balance}</b> · received {info.received} · sent {info.sent} ·{" "}
        <span data-testid="address-txcount">{info.txCount}</span> transactions · {info.utxos.totalCount} unspent outputs
      </p>
      {info.pending.length > 0 && (
        <p>pending: {info.pending.map((p) => p.txId && (
          <code key={p.txId} className="link-like" onClick={() => p.txId && onOpen({ kind: "tx", txId: p.txId })}>{shorten(p.txId)} ({p.amount})</code>
        ))}</p>
      )}
      <table>
        <thead><tr><th>transaction</th><th>block</th><th>confirmations</th><th>net</th></tr></thead>
        <tbody>
          {info.transactions.nodes.map((t) => (
            <tr key={t.transaction.id} data-testid="address-tx">
              <td><code className="link-like" onClick={() => onOpen({ kind: "tx", txId: t.transaction.id })}>{shorten(t.transaction.id, 8)}</code></td>
              <td>#{t.transaction.block?.height}</td>
              <td>{t.transaction.confirmations}</td>
              <td className={t.netAmount >= 0 ? "ok-text" : "error-text"}>{t.netAmount > 0 ? "+" : ""}{t.netAmount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
