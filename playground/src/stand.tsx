// The test stand: every API call of the reference's stand, live through subscriptions.
import { StrictMode, useCallback, useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { type Connection, gql, liveClient, loadToken, queries, saveToken } from "./api";
import { errorsByField, type Field, formatTime, parseWhole, plural, shorten } from "./logic";
import "./style.css";

interface Wallet { address: string; balance: number; pending: { txId: string; amount: number; to: string } | null }
interface ChainInfo { height: number | null; tipHash: string | null; difficultyBits: number; reward: number; totalSupply: number; utxoCount: number; poolSize: number }
interface BlockSummary { hash: string; height: number; prevHash: string; txCount: number }
interface BlockDetail extends BlockSummary {
  merkleRoot: string; timestamp: number; difficultyBits: number; nonce: string;
  transactions: {
    id: string; isCoinbase: boolean;
    inputs: { txId: string | null; vout: number | null; address: string | null; value: number | null; coinbaseHeight: number | null }[];
    outputs: { index: number; address: string; value: number; spent: boolean }[];
  }[];
}
interface Utxo { txId: string; vout: number; address: string; value: number; height: number; coinbase: boolean }
interface PoolEntry { id: number; txId: string | null; from: string; to: string; amount: number; createdAt: number; error: string | null; status: string }
type FieldErrors = Partial<Record<Field, string>>;

function App() {
  const [chain, setChain] = useState<ChainInfo | null>(null);
  const [wallets, setWallets] = useState<Wallet[]>([]);
  const [blocks, setBlocks] = useState<BlockSummary[]>([]);
  const [blocksTotal, setBlocksTotal] = useState(0);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [detail, setDetail] = useState<BlockDetail | null>(null);
  const [utxos, setUtxos] = useState<Utxo[]>([]);
  const [utxoFilter, setUtxoFilter] = useState("");
  const [pool, setPool] = useState<PoolEntry[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [notice, setNotice] = useState("");
  const [token, setToken] = useState(loadToken());
  const page = cursors[cursors.length - 1];
  const filterRef = useRef(utxoFilter);
  filterRef.current = utxoFilter;

  const refreshOverview = useCallback(async () => {
    const r = await gql<{ chain: ChainInfo; wallets: { nodes: Wallet[] } }>(queries.overview);
    if (r.data) {
      setChain(r.data.chain);
      setWallets(r.data.wallets.nodes);
    }
  }, []);
  const refreshBlocks = useCallback(async (after: string | null) => {
    const r = await gql<{ blocks: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: BlockSummary[] } }>(queries.blocks, { after });
    if (r.data) {
      setBlocks(r.data.blocks.nodes);
      setBlocksTotal(r.data.blocks.totalCount);
      setNextCursor(r.data.blocks.pageInfo.hasNextPage ? r.data.blocks.pageInfo.endCursor : null);
    }
  }, []);
  const refreshUtxos = useCallback(async (address: string) => {
    const r = await gql<{ chainstate: { nodes: Utxo[] } }>(queries.chainstate, { address: address.trim() || null });
    setUtxos(r.data?.chainstate.nodes ?? []);
    return r.errors;
  }, []);
  const refreshPool = useCallback(async () => {
    const r = await gql<{ pool: { nodes: PoolEntry[] } }>(queries.pool);
    if (r.data) setPool(r.data.pool.nodes);
  }, []);
  const refreshAll = useCallback(async () => {
    await Promise.all([refreshOverview(), refreshBlocks(page), refreshUtxos(filterRef.current), refreshPool()]);
  }, [page, refreshOverview, refreshBlocks, refreshUtxos, refreshPool]);

  useEffect(() => {
    void refreshAll();
  }, [refreshAll]);

  // Live updates: a new block or pool change refreshes what it affects, without a reload.
  const refreshRef = useRef(refreshAll);
  refreshRef.current = refreshAll;
  useEffect(() => {
    const client = liveClient(setConnection);
    const stopBlocks = client.subscribe<{ blockMined: { height: number } }>(
      { query: "subscription { blockMined { height hash txCount } }" },
      { next: () => void refreshRef.current(), error: () => undefined, complete: () => undefined },
    );
    const stopPool = client.subscribe(
      { query: "subscription { poolChanged { id status } }" },
      { next: () => void refreshRef.current(), error: () => undefined, complete: () => undefined },
    );
    return () => {
      stopBlocks();
      stopPool();
      void client.dispose();
    };
  }, [token]);

  const openBlock = async (height: number) => {
    const r = await gql<{ block: BlockDetail | null }>(queries.block, { height });
    setDetail(r.data?.block ?? null);
  };

  return (
    <div className="stand">
      <header>
        <h1>Pocket Chain <small>test stand</small></h1>
        <span className={`indicator ${connection}`} data-testid="connection" title="live updates over /graphql/ws">
          {connection === "connected" ? "live" : connection === "connecting" ? "connecting…" : "offline — reconnecting"}
        </span>
        <TokenBox token={token} onSave={(t) => { saveToken(t); setToken(loadToken()); }} />
        <a href="/graphiql">GraphiQL</a>
        <ResetButton onDone={(message) => { setNotice(message); void refreshAll(); }} />
      </header>
      {notice && <p className="notice" data-testid="notice">{notice}</p>}
      {chain && (
        <section className="chain-info" data-testid="chain-info">
          <span>height <b>{chain.height ?? "—"}</b></span>
          <span>tip <code>{chain.tipHash ? shorten(chain.tipHash) : "—"}</code></span>
          <span>difficulty <b>{chain.difficultyBits}</b> bits</span>
          <span>reward <b>{chain.reward}</b></span>
          <span>supply <b>{chain.totalSupply}</b></span>
          <span>UTXOs <b>{chain.utxoCount}</b></span>
          <span>pending <b>{chain.poolSize}</b></span>
        </section>
      )}
      <div className="grid">
        <WalletsPanel wallets={wallets} onCreated={refreshOverview} onFilter={(a) => { setUtxoFilter(a); void refreshUtxos(a); }} />
        <div className="forms">
          <SendForm wallets={wallets} onDone={refreshAll} />
          <MineForm onDone={refreshAll} />
        </div>
      </div>
      <section className="panel" data-testid="blocks">
        <h2>Blocks <small>{blocksTotal} in all, newest first</small></h2>
        <div className="chain-picture">
          {blocks.map((b, i) => (
            <div key={b.hash} className="link">
              <button className={`block ${detail?.hash === b.hash ? "selected" : ""}`} data-testid={`block-${b.height}`} onClick={() => void openBlock(b.height)}>
                <b>#{b.height}</b>
                <code>{shorten(b.hash, 4)}</code>
                <span>{b.txCount} tx</span>
              </button>
              {i < blocks.length - 1 && <span className="arrow" title="links to the previous block">←</span>}
            </div>
          ))}
        </div>
        <div className="pager">
          <button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>newer</button>
          <button disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>older</button>
        </div>
        {detail && <BlockView block={detail} onClose={() => setDetail(null)} />}
      </section>
      <div className="grid">
        <section className="panel" data-testid="chainstate">
          <h2>Chainstate <small>unspent outputs</small></h2>
          <input placeholder="filter by address" value={utxoFilter} data-testid="utxo-filter"
            onChange={(e) => { setUtxoFilter(e.target.value); void refreshUtxos(e.target.value); }} />
          <table>
            <thead><tr><th>output</th><th>address</th><th>value</th><th>height</th></tr></thead>
            <tbody>
              {utxos.map((u) => (
                <tr key={`${u.txId}:${u.vout}`}>
                  <td><code>{shorten(u.txId)}:{u.vout}</code>{u.coinbase && <em className="tag">coinbase</em>}</td>
                  <td><code>{u.address}</code></td><td>{u.value}</td><td>{u.height}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" data-testid="pool">
          <h2>Pool <small>pending, and rejected sends</small></h2>
          <table>
            <thead><tr><th>#</th><th>from → to</th><th>amount</th><th>status</th></tr></thead>
            <tbody>
              {pool.map((p) => (
                <tr key={p.id} className={p.error ? "rejected" : "pending"} data-testid={p.error ? "pool-rejected" : "pool-pending"}>
                  <td>{p.id}</td>
                  <td><code>{shorten(p.from, 8)}</code> → <code>{shorten(p.to, 8)}</code><div className="when">{formatTime(p.createdAt, "ms")}</div></td>
                  <td>{p.amount}</td>
                  <td>{p.error ? <span className="error-text">{p.error}</span> : <span className="tag">pending</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}

function TokenBox({ token, onSave }: { token: string; onSave: (token: string) => void }) {
  const [draft, setDraft] = useState(token);
  return (
    <form className="token" onSubmit={(e) => { e.preventDefault(); onSave(draft); }}>
      <input type="password" placeholder="API token (if the server has one)" value={draft} onChange={(e) => setDraft(e.target.value)} data-testid="token" />
      <button type="submit">{token ? "update token" : "use token"}</button>
    </form>
  );
}

function ResetButton({ onDone }: { onDone: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!confirming) return <button className="danger" data-testid="reset" onClick={() => setConfirming(true)}>Reset…</button>;
  return (
    <span className="confirm">
      Erase the chain and replay the training scenario?
      <button className="danger" data-testid="reset-confirm" disabled={busy} onClick={async () => {
        setBusy(true);
        const r = await gql<{ resetSystem: { address: string }[] }>(queries.reset);
        setBusy(false);
        setConfirming(false);
        onDone(r.errors ? `reset failed: ${r.errors[0].message}` : `reset: ${r.data?.resetSystem.length} training wallets created`);
      }}>yes, reset</button>
      <button onClick={() => setConfirming(false)}>cancel</button>
    </span>
  );
}

function WalletsPanel({ wallets, onCreated, onFilter }: { wallets: Wallet[]; onCreated: () => Promise<void>; onFilter: (address: string) => void }) {
  const [copied, setCopied] = useState("");
  const [error, setError] = useState("");
  return (
    <section className="panel" data-testid="wallets">
      <h2>Wallets <small>{wallets.length}</small></h2>
      <button data-testid="new-wallet" onClick={async () => {
        const r = await gql(queries.newWallet);
        setError(r.errors ? r.errors[0].message : "");
        await onCreated();
      }}>New wallet</button>
      {error && <p className="error-text">{error}</p>}
      <table>
        <thead><tr><th>address</th><th>balance</th><th>state</th></tr></thead>
        <tbody>
          {wallets.map((w) => (
            <tr key={w.address} data-testid="wallet-row">
              <td>
                <code className="address" onClick={() => onFilter(w.address)} title="show its unspent outputs">{w.address}</code>
                <button className="small" onClick={async () => {
                  try { await navigator.clipboard.writeText(w.address); setCopied(w.address); } catch { setCopied(""); }
                }}>{copied === w.address ? "copied" : "copy"}</button>
              </td>
              <td data-testid="balance">{w.balance}</td>
              <td>{w.pending ? <span className="tag locked" title={`pending ${w.pending.txId}`}>locked: sending {w.pending.amount}</span> : <span className="tag">free</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Labeled({ label, error, children }: { label: string; error?: string; children: React.ReactNode }) {
  return (
    <label className={error ? "has-error" : ""}>
      <span>{label}</span>
      {children}
      {error && <span className="field-error" data-testid="field-error">{error}</span>}
    </label>
  );
}

function SendForm({ wallets, onDone }: { wallets: Wallet[]; onDone: () => Promise<void> }) {
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
      const r = await gql<{ send: { id: number; txId: string } }>(queries.send, { from, to, amount: value });
      setErrors(r.errors ? errorsByField(r.errors, "send") : {});
      if (r.data?.send) setDone(`pending as #${r.data.send.id}`);
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

function MineForm({ onDone }: { onDone: () => Promise<void> }) {
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
      const r = await gql<{ mineBlock: { height: number; txCount: number } }>(queries.mine, { address, txCount: count });
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

function BlockView({ block, onClose }: { block: BlockDetail; onClose: () => void }) {
  return (
    <div className="block-detail" data-testid="block-detail">
      <button className="small close" onClick={onClose}>close</button>
      <h3>Block #{block.height}</h3>
      <dl>
        <dt>hash</dt><dd><code>{block.hash}</code></dd>
        <dt>previous</dt><dd><code>{block.prevHash}</code></dd>
        <dt>merkle root</dt><dd><code>{block.merkleRoot}</code></dd>
        <dt>time</dt><dd>{formatTime(block.timestamp, "s")}</dd>
        <dt>difficulty</dt><dd>{block.difficultyBits} bits</dd>
        <dt>nonce</dt><dd>{block.nonce}</dd>
      </dl>
      {block.transactions.map((tx) => (
        <div key={tx.id} className="tx">
          <div><code>{tx.id}</code> {tx.isCoinbase && <em className="tag coinbase">coinbase</em>}</div>
          <div className="io">
            <ul>
              {tx.inputs.map((i, n) => (
                <li key={n}>{i.txId === null ? <em>new coins (height {i.coinbaseHeight})</em> : <><code>{shorten(i.txId)}:{i.vout}</code> {i.address && <code>{shorten(i.address, 8)}</code>} {i.value}</>}</li>
              ))}
            </ul>
            <span>→</span>
            <ul>
              {tx.outputs.map((o) => (
                <li key={o.index}><code>{shorten(o.address, 8)}</code> {o.value} {o.spent && <em className="tag">spent</em>}</li>
              ))}
            </ul>
          </div>
        </div>
      ))}
    </div>
  );
}

const root = document.getElementById("root");
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
