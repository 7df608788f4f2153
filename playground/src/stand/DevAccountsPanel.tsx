// The dev accounts the chain's genesis funded, each key a click from the clipboard, and the
// faucet: `fund` pays any address (the browser wallet's first) from the last account.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { DevAccountsQuery, FundMutation } from "../generated/operations";
import { parseWhole, shorten } from "../logic";
import { keyInfo } from "../wallet";
import { Labeled } from "./Labeled";

type Account = DevAccountsQuery["devAccounts"][number];

/** The browser wallet's address, if this browser has made one. */
function browserAddress(): string {
  const secret = localStorage.getItem("pocket.browserWallet.secretKey");
  return secret ? keyInfo(secret).address : "";
}

export function DevAccountsPanel({ changes, onDone }: { changes: number; onDone: () => Promise<void> }) {
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [copied, setCopied] = useState<number | null>(null);
  const [to, setTo] = useState(browserAddress);
  const [amount, setAmount] = useState("100");
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    void gql<DevAccountsQuery>(queries.devAccounts).then((r) => {
      if (r.data) setAccounts(r.data.devAccounts);
    });
  }, [changes]);

  const copy = async (account: Account) => {
    try {
      await navigator.clipboard.writeText(account.secretKey);
      setCopied(account.index);
    } catch {
      // No clipboard (an insecure origin): show the key to copy by hand.
      window.prompt(`account ${account.index}'s secret key`, account.secretKey);
    }
  };

  const fund = async () => {
    const value = parseWhole(amount);
    if (value === null || value < 1) { setResult({ ok: false, text: "amount: a whole number of units, at least 1" }); return; }
    const r = await gql<FundMutation>(queries.fund, { address: to.trim(), amount: value });
    if (r.errors) setResult({ ok: false, text: `${r.errors[0].message} (${r.errors[0].extensions?.code ?? "error"})` });
    else if (r.data) {
      const { status, block } = r.data.fund;
      setResult({ ok: true, text: block ? `funded: ${status.toLowerCase()} in block ${block.height}` : `funded: ${status.toLowerCase()}` });
    }
    await onDone();
  };

  return (
    <section className="panel" data-testid="dev-accounts">
      <h2>Dev accounts <small>keys are public: a dev chain only</small></h2>
      {accounts.length === 0 ? (
        <p>No dev accounts on this chain (started with <code>--accounts 0</code>). Reset to “dev accounts” to fund ten.</p>
      ) : (
        <table>
          <thead><tr><th>#</th><th>address</th><th>balance</th><th>key</th></tr></thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.address} data-testid="dev-account">
                <td>{a.index}</td>
                <td><code title={a.address}>{shorten(a.address, 10)}</code>{a.faucet && <span className="tag">faucet</span>}</td>
                <td data-testid="dev-account-balance">{a.balance}</td>
                <td>
                  <button type="button" data-testid="copy-key" onClick={() => void copy(a)}>
                    {copied === a.index ? "copied" : "copy key"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => { e.preventDefault(); void fund(); }}>
        <Labeled label="fund address">
          <input list="wallet-addresses" value={to} onChange={(e) => setTo(e.target.value)} data-testid="fund-to" />
        </Labeled>
        <Labeled label="amount">
          <input value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="fund-amount" />
        </Labeled>
        <button type="submit" data-testid="fund-submit">Fund from the faucet</button>
      </form>
      {result && <p className={result.ok ? "ok-text" : "error-text"} data-testid="fund-result">{result.text}</p>}
    </section>
  );
}
