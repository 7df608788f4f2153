// The send form: from a keystore wallet to any address; errors shown at the field concerned.
import { useState } from "react";
import { gql, queries } from "../api";
import type { SendMutation } from "../generated/operations";
import { errorsByField, parseWhole } from "../logic";
import { Labeled } from "./Labeled";
import type { FieldErrors, Wallet } from "./types";

export function SendForm({ wallets, onDone }: { wallets: Wallet[]; onDone: () => Promise<void> }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("1");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [done, setDone] = useState("");
  return (
    <form className="panel" data-testid="send-form" onSubmit={async (e) => {
      e.preventDefault();
      setDone("");
      const value = parseWhole(amount);
      if (value === null) { setErrors({ amount: "a whole number of units" }); return; }
      const r = await gql<SendMutation>(queries.send, { from, to, amount: value });
      setErrors(r.errors ? errorsByField(r.errors, "send") : {});
      const sent = r.data?.send;
      // In AUTO mining mode the answer already names its block.
      if (sent) setDone(sent.block ? `mined in block #${sent.block.height}` : `pending as #${sent.id}`);
      await onDone();
    }}>
      <h2>Send</h2>
      <Labeled label="from" error={errors.from}>
        <input list="wallet-addresses" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="send-from" />
      </Labeled>
      <Labeled label="to" error={errors.to}>
        <input list="wallet-addresses" value={to} onChange={(e) => setTo(e.target.value)} data-testid="send-to" />
      </Labeled>
      <Labeled label="amount" error={errors.amount}>
        <input value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="send-amount" />
      </Labeled>
      <datalist id="wallet-addresses">{wallets.map((w) => <option key={w.address} value={w.address} />)}</datalist>
      <button type="submit" data-testid="send-submit">Send</button>
      {errors.form && <p className="error-text">{errors.form}</p>}
      {done && <p className="ok-text" data-testid="send-ok">{done}</p>}
    </form>
  );
}
