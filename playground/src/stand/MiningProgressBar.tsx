// Live progress of a nonce search on this server, shown only while one runs: attempts against the
// expected 2^bits, the best hash so far and its leading zero bits, and the hash rate smoothed over
// the search's samples (a single sample's rate swings with how long the search has run).
import { useEffect, useRef, useState } from "react";
import { liveClient, queries } from "../api";
import type { LiveMiningProgressSubscription } from "../generated/operations";
import { shorten } from "../logic";

type Sample = LiveMiningProgressSubscription["miningProgress"];

export function MiningProgressBar() {
  const [sample, setSample] = useState<Sample | null>(null);
  const [rate, setRate] = useState(0);
  const smoothed = useRef<{ height: number; rate: number } | null>(null);
  useEffect(() => {
    const client = liveClient(() => undefined);
    const stop = client.subscribe<LiveMiningProgressSubscription>(
      { query: queries.liveMining },
      {
        next: (r) => {
          const next = r.data?.miningProgress ?? null;
          if (!next || next.done) {
            // The search ended: nothing runs, nothing to show.
            smoothed.current = null;
            setSample(null);
            return;
          }
          const last = smoothed.current;
          const value = last && last.height === next.height ? 0.7 * last.rate + 0.3 * next.hashesPerSecond : next.hashesPerSecond;
          smoothed.current = { height: next.height, rate: value };
          setRate(value);
          setSample(next);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    return () => { stop(); void client.dispose(); };
  }, []);
  if (!sample) return null;
  const share = Math.min(100, (100 * sample.attempts) / sample.expectedAttempts);
  return (
    <div className="progress" data-testid="mining-progress">
      <div>
        mining block #{sample.height}: {sample.attempts.toLocaleString()} attempts of ~
        {sample.expectedAttempts.toLocaleString()} expected ({Math.round(rate).toLocaleString()}/s)
      </div>
      <meter min={0} max={100} value={share} />
      {sample.bestHash && (
        <div>best so far <code>{shorten(sample.bestHash, 8)}</code>: {sample.bestZeroBits} of {sample.bits} zero bits</div>
      )}
    </div>
  );
}
