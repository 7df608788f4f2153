// The keystore wallets, 50 at a time: balances, each one's oldest pending send, and a new one.
import { useState } from "react";
import { gql, queries } from "../api";
import type { Wallet } from "./types";

interface Props {
  wallets: Wallet[];
  total: number;
  /** Loads the next 50, when there are more. */
  onMore: (() => Promise<void>) | null;
  onCreated: () => Promise<void>;
  onFilter: (address: string) => void;
}

export function WalletsPanel({ wallets, total, onMore, onCreated, onFilter }: Props) {
  const [copied, setCopied] = useState("");
  const [error, setError] = useState("");
  return (
    <section className="panel" data-testid="wallets">
      <h2>Wallets <small data-testid="wallet-count">{wallets.length} of {total}</small></h2>
      <button data-testid="new-wallet" onClick={async () => {
        const r = await gql(queries.newWallet);
        setError(r.errors ? r.errors[0].message : "");
        await onCreated();
      }}>New wallet</button>
      {error && <p className="error-text">{error}</p>}
      <div className="scroll-list">
      <table>
        <thead><tr><th>address</th><th>balance</th><th>pending</th></tr></thead>
        <tbody>
          {wallets.map((w) => (
            <tr key={w.address} data-testid="wallet-row">
              <td>
                <code className="address" onClick={() => onFilter(w.address)} title="show its unspent outputs">{w.address}</code>
                <button className="small" onClick={async () => {
                  try { await navigator.clipboard.writeText(w.address); setCopied(w.address); } catch { setCopied(""); }
                }}>{copied === w.address ? "copied" : "copy"}</button>
              </td>
              <td data-testid="balance">{w.balance}</td>
              <td>{w.pending ? <span className="tag locked" title={`pending ${w.pending.txId}`}>sending {w.pending.amount}</span> : <span className="when">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {onMore && <button type="button" data-testid="wallets-more" onClick={() => void onMore()}>more</button>}
      </div>
    </section>
  );
}
