// The mine form: a block to a miner address with up to N pending transactions.
import { useState } from "react";
import { gql, queries } from "../api";
import type { MineMutation } from "../generated/operations";
import { errorsByField, parseWhole, plural } from "../logic";
import { Labeled } from "./Labeled";
import type { FieldErrors } from "./types";

export function MineForm({ onDone }: { onDone: () => Promise<void> }) {
  const [address, setAddress] = useState("");
  const [txCount, setTxCount] = useState("5");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  return (
    <form className="panel" data-testid="mine-form" onSubmit={async (e) => {
      e.preventDefault();
      const count = parseWhole(txCount);
      if (count === null) { setErrors({ txCount: "a whole number" }); return; }
      setBusy(true);
      setDone("");
      const r = await gql<MineMutation>(queries.mine, { address, txCount: count });
      setBusy(false);
      setErrors(r.errors ? errorsByField(r.errors, "mine") : {});
      if (r.data?.mineBlock) setDone(`mined block #${r.data.mineBlock.height} with ${plural(r.data.mineBlock.txCount, "transaction")}`);
      await onDone();
    }}>
      <h2>Mine</h2>
      <Labeled label="miner address" error={errors.address}>
        <input list="wallet-addresses" value={address} onChange={(e) => setAddress(e.target.value)} data-testid="mine-address" />
      </Labeled>
      <Labeled label="transactions" error={errors.txCount}>
        <input value={txCount} onChange={(e) => setTxCount(e.target.value)} data-testid="mine-count" />
      </Labeled>
      <button type="submit" disabled={busy} data-testid="mine-submit">{busy ? "mining…" : "Mine"}</button>
      {errors.form && <p className="error-text">{errors.form}</p>}
      {done && <p className="ok-text">{done}</p>}
    </form>
  );
}
