// Live progress of a nonce search on this server: attempts against the expected 2^bits, the best
// hash so far and its leading zero bits, hashes per second.
import { useEffect, useState } from "react";
import { liveClient, queries } from "../api";
import type { LiveMiningProgressSubscription } from "../generated/operations";
import { shorten } from "../logic";

type Sample = LiveMiningProgressSubscription["miningProgress"];

export function MiningProgressBar() {
  const [sample, setSample] = useState<Sample | null>(null);
  useEffect(() => {
    const client = liveClient(() => undefined);
    const stop = client.subscribe<LiveMiningProgressSubscription>(
      { query: queries.liveMining },
      { next: (r) => setSample(r.data?.miningProgress ?? null), error: () => undefined, complete: () => undefined },
    );
    return () => { stop(); void client.dispose(); };
  }, []);
  if (!sample) return null;
  const share = Math.min(100, (100 * sample.attempts) / sample.expectedAttempts);
  return (
    <div className="progress" data-testid="mining-progress">
      <div>
        {sample.done ? "mined" : "mining"} block #{sample.height}: {sample.attempts.toLocaleString()} attempts of ~
        {sample.expectedAttempts.toLocaleString()} expected ({Math.round(sample.hashesPerSecond).toLocaleString()}/s)
      </div>
      <meter min={0} max={100} value={share} />
      {sample.bestHash && (
        <div>best so far <code>{shorten(sample.bestHash, 8)}</code>: {sample.bestZeroBits} of {sample.bits} zero bits</div>
      )}
    </div>
  );
}
