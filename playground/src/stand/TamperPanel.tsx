// Tamper with a block, on the real chain's bytes but on a copy: edit a field and watch which
// rules of validation break, and which later link, as the server's lab (explainBlock) reports.
// "Mine this copy" searches a new nonce in the browser (a Web Worker, never the server), and the
// next block can then be re-linked to the new hash and mined in turn, until the copy is valid.
import { useEffect, useRef, useState } from "react";
import { gql, queries } from "../api";
import type { BlockPatch, BlockQuery, ExplainQuery } from "../generated/operations";
import { duration, patchHeader } from "../lab";
import { parseWhole, shorten } from "../logic";
import type { MineReport } from "../miner.worker";
import type { BlockDetail } from "./types";

type Check = NonNullable<ExplainQuery["explainBlock"]>;

/** The search running or done: nonces tried, the rate, and what it found. */
interface Search {
  attempts: number;
  rate: number;
  found?: { nonce: string; hash: string };
}

export function TamperPanel({ block, relinkTo }: { block: BlockDetail; relinkTo?: string }) {
  const [nonce, setNonce] = useState(block.nonce);
  const [timestamp, setTimestamp] = useState(String(block.timestamp));
  const [prevHash, setPrevHash] = useState(relinkTo ?? block.prevHash);
  const [search, setSearch] = useState<Search | null>(null);
  const [next, setNext] = useState<BlockDetail | null>(null);
  const worker = useRef<Worker | null>(null);
  useEffect(() => () => worker.current?.terminate(), []);
  const [merkleRoot, setMerkleRoot] = useState(block.merkleRoot);
  const [value, setValue] = useState("");
  const [check, setCheck] = useState<Check | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const patch: BlockPatch = { nonce: null, timestamp: null, prevHash: null, merkleRoot: null, output: null, parentHash: relinkTo ?? null };
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
  }, [block, relinkTo, nonce, timestamp, prevHash, merkleRoot, value]);

  const mine = () => {
    if (!check) return;
    worker.current?.terminate();
    const fields = { prevHash, merkleRoot: check.merkleRoot, timestamp: parseWhole(timestamp) ?? block.timestamp };
    const header = patchHeader(block.headerHex, fields);
    const miner = new Worker(new URL("../miner.worker.ts", import.meta.url), { type: "module" });
    worker.current = miner;
    setSearch({ attempts: 0, rate: 0 });
    setNext(null);
    miner.onmessage = (event: MessageEvent<MineReport>) => {
      const report = event.data;
      if (report.kind === "progress") {
        setSearch({ attempts: report.attempts, rate: report.rate });
        return;
      }
      setSearch({ attempts: report.attempts, rate: report.rate, found: { nonce: report.nonce, hash: report.hash } });
      // The copy now carries the transactions' merkle root and the nonce found.
      setMerkleRoot(fields.merkleRoot);
      setNonce(report.nonce);
      miner.terminate();
    };
    miner.postMessage({ header, bits: block.difficultyBits });
  };

  const openNext = async () => {
    const r = await gql<BlockQuery>(queries.block, { height: block.height + 1 });
    if (r.data?.block) setNext(r.data.block);
  };

  const expected = 2 ** block.difficultyBits;
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
          <p>
            <button type="button" data-testid="lab-mine" onClick={mine} disabled={search !== null && !search.found}>
              Mine this copy in the browser
            </button>{" "}
            {search && (
              <span data-testid="lab-search">
                {search.found
                  ? <>found nonce <code data-testid="lab-nonce">{search.found.nonce}</code> after {search.attempts.toLocaleString()} hashes: <code data-testid="lab-hash">{shorten(search.found.hash, 8)}</code></>
                  : <>searching: {search.attempts.toLocaleString()} hashes</>}
                {" "}({Math.round(search.rate).toLocaleString()}/s)
              </span>
            )}
          </p>
          {search?.found && (
            <p className="when" data-testid="lab-cost">
              At {block.difficultyBits} bits a block takes about {expected.toLocaleString()} hashes: {duration(expected, search.rate)} each at this
              browser&apos;s rate, so re-mining the {check.laterBlocks} blocks from here to the tip would take about {duration(expected * check.laterBlocks, search.rate)}.
            </p>
          )}
          {search?.found && check.valid && check.brokenLink && !next && (
            <button type="button" data-testid="lab-next" onClick={() => void openNext()}>
              Re-link block #{check.brokenLink.height} to this hash, and tamper with it
            </button>
          )}
        </>
      )}
      {next && search?.found && (
        <div className="lab-next" data-testid="lab-next-block">
          <h4>Block #{next.height}, re-linked</h4>
          <TamperPanel key={`${next.hash}-${search.found.hash}`} block={next} relinkTo={search.found.hash} />
        </div>
      )}
    </div>
  );
}
