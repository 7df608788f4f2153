// Reset, behind a confirmation: erases the chain and replays the training scenario.
import { useState } from "react";
import { gql, queries } from "../api";
import type { ResetMutation } from "../generated/operations";

export function ResetButton({ onDone }: { onDone: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!confirming) return <button className="danger" data-testid="reset" onClick={() => setConfirming(true)}>Reset…</button>;
  return (
    <span className="confirm">
      Erase the chain and replay the training scenario?
      <button className="danger" data-testid="reset-confirm" disabled={busy} onClick={async () => {
        setBusy(true);
        const r = await gql<ResetMutation>(queries.reset);
        setBusy(false);
        setConfirming(false);
        onDone(r.errors ? `reset failed: ${r.errors[0].message}` : `reset: ${r.data?.resetSystem.length} training wallets created`);
      }}>yes, reset</button>
      <button onClick={() => setConfirming(false)}>cancel</button>
    </span>
  );
}
