// The mine form: one block or many (mineBlocks) to a miner address, each with up to N pending
// transactions.
import { useState } from "react";
import { gql, queries } from "../api";
import type { MineManyMutation, MineMutation } from "../generated/operations";
import { errorsByField, parseWhole, plural } from "../logic";
import { Labeled } from "./Labeled";
import type { FieldErrors } from "./types";

export function MineForm({ onDone }: { onDone: () => Promise<void> }) {
  const [address, setAddress] = useState("");
  const [txCount, setTxCount] = useState("5");
  const [blocks, setBlocks] = useState("1");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState("");
  return (
    <form className="panel" data-testid="mine-form" onSubmit={async (e) => {
      e.preventDefault();
      const count = parseWhole(txCount);
      if (count === null) { setErrors({ txCount: "a whole number" }); return; }
      const many = parseWhole(blocks);
      if (many === null || many < 1 || many > 1000) { setErrors({ blocks: "1 to 1000 blocks" }); return; }
      setBusy(true);
      setDone("");
      if (many === 1) {
        const r = await gql<MineMutation>(queries.mine, { address, txCount: count });
        setErrors(r.errors ? errorsByField(r.errors, "mine") : {});
        if (r.data?.mineBlock) setDone(`mined block #${r.data.mineBlock.height} with ${plural(r.data.mineBlock.txCount, "transaction")}`);
      } else {
        const r = await gql<MineManyMutation>(queries.mineMany, { address, count: many, txCount: count });
        setErrors(r.errors ? errorsByField(r.errors, "mine") : {});
        const mined = r.data?.mineBlocks ?? [];
        if (mined.length) setDone(`mined blocks #${mined[0].height}–#${mined[mined.length - 1].height}`);
      }
      setBusy(false);
      await onDone();
    }}>
      <h2>Mine</h2>
      <Labeled label="miner address" error={errors.address}>
        <input list="wallet-addresses" value={address} onChange={(e) => setAddress(e.target.value)} data-testid="mine-address" />
      </Labeled>
      <Labeled label="transactions" error={errors.txCount}>
        <input value={txCount} onChange={(e) => setTxCount(e.target.value)} data-testid="mine-count" />
      </Labeled>
      <Labeled label="blocks" error={errors.blocks}>
        <input value={blocks} onChange={(e) => setBlocks(e.target.value)} data-testid="mine-blocks" />
      </Labeled>
      <button type="submit" disabled={busy} data-testid="mine-submit">{busy ? "mining…" : "Mine"}</button>
      {errors.form && <p className="error-text">{errors.form}</p>}
      {done && <p className="ok-text" data-testid="mine-ok">{done}</p>}
    </form>
  );
}
