// Tamper with a block, on the real chain's bytes but on a copy: edit a field and watch which
// rules of validation break, and which later link, as the server's lab (explainBlock) reports.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { BlockPatch, ExplainQuery } from "../generated/operations";
import { parseWhole, shorten } from "../logic";
import type { BlockDetail } from "./types";

type Check = NonNullable<ExplainQuery["explainBlock"]>;

export function TamperPanel({ block }: { block: BlockDetail }) {
  const [nonce, setNonce] = useState(block.nonce);
  const [timestamp, setTimestamp] = useState(String(block.timestamp));
  const [prevHash, setPrevHash] = useState(block.prevHash);
  const [merkleRoot, setMerkleRoot] = useState(block.merkleRoot);
  const [value, setValue] = useState("");
  const [check, setCheck] = useState<Check | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const patch: BlockPatch = { nonce: null, timestamp: null, prevHash: null, merkleRoot: null, output: null };
    if (nonce !== block.nonce) patch.nonce = nonce;
    if (timestamp !== String(block.timestamp)) patch.timestamp = parseWhole(timestamp) ?? -1;
    if (prevHash !== block.prevHash) patch.prevHash = prevHash;
    if (merkleRoot !== block.merkleRoot) patch.merkleRoot = merkleRoot;
    const last = block.transactions.length - 1;
    if (value.trim() !== "") patch.output = { tx: last, vout: 0, value: parseWhole(value) ?? -1, address: null };
    const timer = setTimeout(() => {
      void gql<ExplainQuery>(queries.explain, { hash: block.hash, patch }).then((r) => {
        setError(r.errors ? r.errors[0].message : "");
        setCheck(r.data?.explainBlock ?? null);
      });
    }, 150);
    return () => clearTimeout(timer);
  }, [block, nonce, timestamp, prevHash, merkleRoot, value]);

  const last = block.transactions[block.transactions.length - 1];
  return (
    <div className="tamper" data-testid="tamper">
      <h4>Tamper <small>a copy: the chain is not touched</small></h4>
      <div className="tamper-fields">
        <label>nonce <input value={nonce} onChange={(e) => setNonce(e.target.value)} data-testid="tamper-nonce" /></label>
        <label>timestamp <input value={timestamp} onChange={(e) => setTimestamp(e.target.value)} data-testid="tamper-timestamp" /></label>
        <label>previous <input value={prevHash} onChange={(e) => setPrevHash(e.target.value)} data-testid="tamper-prev" /></label>
        <label>merkle root <input value={merkleRoot} onChange={(e) => setMerkleRoot(e.target.value)} data-testid="tamper-root" /></label>
        <label>value of output 0 of the last transaction ({last?.outputs[0]?.value}) <input value={value} onChange={(e) => setValue(e.target.value)} data-testid="tamper-value" /></label>
      </div>
      {error && <p className="error-text">{error}</p>}
      {check && (
        <>
          <p>
            hash <code data-testid="tamper-hash">{shorten(check.hash, 8)}</code> · merkle root of the transactions <code>{shorten(check.merkleRoot, 8)}</code> ·{" "}
            <b data-testid="tamper-verdict" className={check.valid ? "ok-text" : "error-text"}>{check.valid ? "valid" : "invalid"}</b>
          </p>
          <ol className="checks">
            {check.checks.map((c) => (
              <li key={c.rule} className={`check ${c.status.toLowerCase()}`} data-testid="tamper-check" data-status={c.status}>
                {c.rule}{c.detail && <>: <span className="detail">{c.detail}</span></>}
              </li>
            ))}
          </ol>
          {check.brokenLink && (
            <p className="error-text" data-testid="tamper-broken">
              block #{check.brokenLink.height} no longer links to this one: it and the {check.laterBlocks - 1} after it would have to be mined again
            </p>
          )}
        </>
      )}
    </div>
  );
}
