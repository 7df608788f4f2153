// A wallet whose key never leaves the browser: generated here, kept in localStorage, used to sign
// here (src/wallet.ts). Paying builds through the API, checks and signs the answer in the page,
// submits the signed bytes, and follows the transaction to its block.
import { useEffect, useState } from "react";
import { gql, liveClient, queries } from "../api";
import type { BuildQuery, FundMutation, LiveStatusSubscription, SubmitMutation, WalletBalanceQuery } from "../generated/operations";
import { errorsByField, parseWhole, shorten } from "../logic";
import { keyInfo, newSecretKey, signTransaction } from "../wallet";
import type { Page } from "./ExplorerPanel";
import { Labeled } from "./Labeled";
import type { FieldErrors } from "./types";

const KEY_STORAGE = "pocket.browserWallet.secretKey";

type Status = LiveStatusSubscription["transactionStatus"];

export function BrowserWallet({ changes, onOpen }: { changes: number; onOpen: (page: Page) => void }) {
  const [secret, setSecret] = useState(() => localStorage.getItem(KEY_STORAGE));
  const address = secret ? keyInfo(secret).address : null;
  const [account, setAccount] = useState<WalletBalanceQuery["address"] | null>(null);
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("1");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [txId, setTxId] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>(null);

  useEffect(() => {
    if (!address) return;
    void gql<WalletBalanceQuery>(queries.walletBalance, { address }).then((r) => setAccount(r.data?.address ?? null));
  }, [address, changes]);

  // A refusal about the old balance is stale once the balance changes.
  const balance = account?.balance;
  useEffect(() => setErrors({}), [balance]);

  useEffect(() => {
    if (!txId) return;
    const client = liveClient(() => undefined);
    const stop = client.subscribe<LiveStatusSubscription>(
      { query: queries.liveStatus, variables: { txId } },
      { next: (r) => setStatus(r.data?.transactionStatus ?? null), error: () => undefined, complete: () => undefined },
    );
    return () => { stop(); void client.dispose(); };
  }, [txId]);

  if (!secret || !address) {
    return (
      <div className="panel" data-testid="browser-wallet">
        <h2>Browser wallet</h2>
        <p>A key made and kept in this browser; the server never sees it.</p>
        <button type="button" data-testid="wallet-create" onClick={() => {
          const created = newSecretKey();
          localStorage.setItem(KEY_STORAGE, created);
          setSecret(created);
        }}>Create a key in this browser</button>
      </div>
    );
  }

  const fund = async () => {
    const r = await gql<FundMutation>(queries.fund, { address, amount: 100 });
    setErrors(r.errors ? { form: `${r.errors[0].message} (${r.errors[0].extensions?.code ?? "error"})` } : {});
  };

  const pay = async () => {
    // A new payment: the last one's status and errors go.
    setErrors({});
    setStatus(null);
    setTxId(null);
    const value = parseWhole(amount);
    if (value === null) { setErrors({ amount: "a whole number of units" }); return; }
    const built = await gql<BuildQuery>(queries.build, { from: address, to, amount: value });
    if (built.errors || !built.data) { setErrors(errorsByField(built.errors ?? [], "send")); return; }
    let rawHex: string;
    try {
      rawHex = signTransaction(built.data.buildTransaction, secret);
    } catch (error) {
      setErrors({ form: `not signed: ${String(error)}` });
      return;
    }
    const submitted = await gql<SubmitMutation>(queries.submit, { rawHex });
    if (submitted.errors || !submitted.data) { setErrors(errorsByField(submitted.errors ?? [], "send")); return; }
    setTxId(submitted.data.submitTransaction.txId);
  };

  return (
    <form className="panel" data-testid="browser-wallet" onSubmit={(e) => { e.preventDefault(); void pay(); }}>
      <h2>Browser wallet</h2>
      <p className="warning" data-testid="wallet-warning">
        The secret key is stored unencrypted in this browser&apos;s localStorage: anyone who can use this
        browser profile can spend it, and clearing the site&apos;s data loses it. It is only for trying things out.
      </p>
      <p>
        <code className="link-like" data-testid="wallet-address" onClick={() => onOpen({ kind: "address", address })}>{address}</code>{" "}
        balance <b data-testid="wallet-balance">{account?.balance ?? 0}</b>
        {account && account.pending.length > 0 && <> · {account.pending.length} pending</>}
      </p>
      <Labeled label="pay to" error={errors.to}>
        <input list="wallet-addresses" value={to} onChange={(e) => setTo(e.target.value)} data-testid="wallet-to" />
      </Labeled>
      <Labeled label="amount" error={errors.amount ?? errors.from}>
        <input value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="wallet-amount" />
      </Labeled>
      <button type="submit" data-testid="wallet-pay">Sign here and pay</button>
      <button type="button" data-testid="wallet-fund" onClick={() => void fund()} title="100 units from the faucet (a dev chain's last account)">
        Fund this (100)
      </button>
      <button type="button" onClick={() => {
        if (!window.confirm("Forget this key? Coins it holds can then never be spent.")) return;
        localStorage.removeItem(KEY_STORAGE);
        setSecret(null);
        setTxId(null);
      }}>Forget key</button>
      {errors.form && <p className="error-text" data-testid="wallet-error">{errors.form}</p>}
      {txId && (
        <p data-testid="wallet-status">
          <code className="link-like" onClick={() => onOpen({ kind: "tx", txId })}>{shorten(txId)}</code>{" "}
          {status === null ? "submitted" : status.state === "PENDING"
            ? `pending, number ${status.poolPosition} in the queue`
            : `mined in block #${status.height}, ${status.confirmations} confirmation${status.confirmations === 1 ? "" : "s"}`}
        </p>
      )}
    </form>
  );
}
