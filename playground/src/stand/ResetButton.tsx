// Reset, behind a confirmation: erases the chain and starts again — the training scenario, the
// dev accounts' genesis, or an empty chain.
import { useState } from "react";
import { gql, queries } from "../api";
import type { ResetMutation, ResetTarget } from "../generated/operations";

const TARGETS: Record<ResetTarget, string> = {
  TRAINING: "the training scenario",
  ACCOUNTS: "the dev accounts",
  EMPTY: "an empty chain",
};

export function ResetButton({ onDone }: { onDone: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [to, setTo] = useState<ResetTarget>("TRAINING");
  if (!confirming) return <button className="danger" data-testid="reset" onClick={() => setConfirming(true)}>Reset…</button>;
  return (
    <span className="confirm">
      Erase the chain and start again with
      <select value={to} onChange={(e) => setTo(e.target.value as ResetTarget)} data-testid="reset-target">
        {Object.entries(TARGETS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
      </select>
      ?
      <button className="danger" data-testid="reset-confirm" disabled={busy} onClick={async () => {
        setBusy(true);
        const r = await gql<ResetMutation>(queries.reset, { to });
        setBusy(false);
        setConfirming(false);
        const kind = to === "TRAINING" ? "training wallets" : "wallets";
        onDone(r.errors ? `reset failed: ${r.errors[0].message}` : `reset: ${r.data?.resetSystem.length} ${kind} (${TARGETS[to]})`);
      }}>yes, reset</button>
      <button onClick={() => setConfirming(false)}>cancel</button>
    </span>
  );
}
