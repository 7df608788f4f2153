// How the node mines on its own: MANUAL, AUTO (each send mined at once) or INTERVAL (a block
// every N seconds), with the next interval block's countdown. Read again on every change the
// server announces, so a mode set elsewhere (another tab, a replica) shows here too.
import { useEffect, useRef, useState } from "react";
import { gql, queries } from "../api";
import type { IncreaseTimeMutation, MiningMode, MiningQuery, SetMiningMutation } from "../generated/operations";
import { parseWhole, secondsUntil } from "../logic";
import { Labeled } from "./Labeled";

type Status = MiningQuery["mining"];

export function MiningPanel({ changes, onDone }: { changes: number; onDone: () => Promise<void> }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [mode, setMode] = useState<MiningMode>("MANUAL");
  const [address, setAddress] = useState("");
  const [interval, setIntervalText] = useState("10");
  const [error, setError] = useState("");
  const [now, setNow] = useState(Date.now());

  // The settings last read: the form follows the server only when they change (set here or
  // elsewhere), so an unrelated event (a block, a refused request) never undoes an unsaved edit.
  const seen = useRef("");
  useEffect(() => {
    void gql<MiningQuery>(queries.mining).then((r) => {
      if (!r.data) return;
      const mining = r.data.mining;
      setStatus(mining);
      const settings = JSON.stringify([mining.mode, mining.address, mining.intervalSeconds]);
      if (settings === seen.current) return;
      seen.current = settings;
      setMode(mining.mode);
      if (mining.address) setAddress(mining.address);
      if (mining.intervalSeconds) setIntervalText(String(mining.intervalSeconds));
    });
  }, [changes]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);

  return (
    <form className="panel" data-testid="mining" onSubmit={async (e) => {
      e.preventDefault();
      const seconds = parseWhole(interval);
      if (mode === "INTERVAL" && (seconds === null || seconds < 1)) { setError("interval: whole seconds, at least 1"); return; }
      const r = await gql<SetMiningMutation>(queries.setMining, {
        mode,
        address: address.trim() || null,
        intervalSeconds: mode === "INTERVAL" ? seconds : null,
      });
      setError(r.errors ? r.errors.map((x) => x.message).join("; ") : "");
      if (r.data) setStatus(r.data.setMining);
      await onDone();
    }}>
      <h2>Mining <small data-testid="mining-mode">{status?.mode.toLowerCase() ?? "…"}</small></h2>
      <Labeled label="mode">
        <select value={mode} onChange={(e) => setMode(e.target.value as MiningMode)} data-testid="mining-select">
          <option value="MANUAL">manual — only when asked</option>
          <option value="AUTO">auto — each send mined at once</option>
          <option value="INTERVAL">interval — a block every N seconds</option>
        </select>
      </Labeled>
      <Labeled label="miner address">
        <input list="wallet-addresses" value={address} onChange={(e) => setAddress(e.target.value)} data-testid="mining-address" />
      </Labeled>
      {mode === "INTERVAL" && (
        <Labeled label="seconds">
          <input value={interval} onChange={(e) => setIntervalText(e.target.value)} data-testid="mining-interval" />
        </Labeled>
      )}
      <button type="submit" data-testid="mining-submit">Set</button>
      <p data-testid="time-offset">
        dev clock: {status ? `+${status.timeOffsetSeconds} s` : "…"}{" "}
        <button type="button" data-testid="increase-time" onClick={async () => {
          const r = await gql<IncreaseTimeMutation>(queries.increaseTime, { seconds: 3600 });
          setError(r.errors ? r.errors.map((x) => x.message).join("; ") : "");
          await onDone();
        }}>+1 hour</button>
      </p>
      {status?.nextBlockAt != null && (
        <p className="ok-text" data-testid="mining-countdown">next block in {secondsUntil(status.nextBlockAt, now)} s</p>
      )}
      {error && <p className="error-text" data-testid="mining-error">{error}</p>}
    </form>
  );
}
