// The test stand's page: the chain's figures, dev accounts and the faucet, wallets, the send and mine forms, a browser wallet, the mining mode,
// peers and the block tree, snapshots, blocks, the chainstate and the pool. Every change the server announces (a block, a
// pool change, a revert or reset, new mining settings, a snapshot) bumps `changes`, and each
// panel reads what it shows again, without a reload.
import { useCallback, useEffect, useState } from "react";
import { type Connection, gql, liveClient, loadToken, queries, saveToken } from "../api";
import type { OverviewQuery, WalletsPageQuery } from "../generated/operations";
import { BlocksPanel } from "./BlocksPanel";
import { BlockTree, type Reorg } from "./BlockTree";
import { BrowserWallet } from "./BrowserWallet";
import { DevAccountsPanel } from "./DevAccountsPanel";
import { ChainInfoBar } from "./ChainInfoBar";
import { ChainstatePanel } from "./ChainstatePanel";
import { ExplorerPanel, type Page } from "./ExplorerPanel";
import { MineForm } from "./MineForm";
import { MiningProgressBar } from "./MiningProgressBar";
import { MiningPanel } from "./MiningPanel";
import { PeersPanel } from "./PeersPanel";
import { PoolPanel } from "./PoolPanel";
import { ResetButton } from "./ResetButton";
import { SendForm } from "./SendForm";
import { SnapshotsPanel } from "./SnapshotsPanel";
import { TokenBox } from "./TokenBox";
import type { ChainInfo, Wallet } from "./types";
import { WalletsPanel } from "./WalletsPanel";

export function App() {
  const [chain, setChain] = useState<ChainInfo | null>(null);
  const [wallets, setWallets] = useState<Wallet[]>([]);
  const [walletTotal, setWalletTotal] = useState(0);
  const [walletsAfter, setWalletsAfter] = useState<string | null>(null);
  const [utxoFilter, setUtxoFilter] = useState("");
  const [connection, setConnection] = useState<Connection>("connecting");
  const [notice, setNotice] = useState("");
  const [token, setToken] = useState(loadToken());
  const [changes, setChanges] = useState(0);
  const [page, setPage] = useState<Page | null>(null);
  const [reorgs, setReorgs] = useState<Reorg[]>([]);
  const changed = useCallback(async () => setChanges((n) => n + 1), []);

  useEffect(() => {
    void gql<OverviewQuery>(queries.overview).then((r) => {
      if (r.data) {
        setChain(r.data.chain);
        setWallets(r.data.wallets.nodes);
        setWalletTotal(r.data.wallets.totalCount);
        setWalletsAfter(r.data.wallets.pageInfo.hasNextPage ? (r.data.wallets.pageInfo.endCursor ?? null) : null);
      }
    });
  }, [changes]);

  // Live updates: a new block or pool change makes every panel read again.
  useEffect(() => {
    const client = liveClient(setConnection);
    const sink = { next: () => void changed(), error: () => undefined, complete: () => undefined };
    const stopBlocks = client.subscribe({ query: queries.liveBlocks }, sink);
    const stopPool = client.subscribe({ query: queries.livePool }, sink);
    const stopReset = client.subscribe({ query: queries.liveReset }, sink);
    const stopMining = client.subscribe({ query: queries.liveMiningMode }, sink);
    const stopSnapshots = client.subscribe({ query: queries.liveSnapshots }, sink);
    const stopReorgs = client.subscribe<{ chainReorganized: Reorg }>({ query: queries.liveReorg }, {
      ...sink,
      next: (message) => {
        const reorg = message.data?.chainReorganized;
        if (reorg) setReorgs((list) => [reorg, ...list].slice(0, 5));
        void changed();
      },
    });
    return () => {
      stopReorgs();
      stopBlocks();
      stopPool();
      stopReset();
      stopMining();
      stopSnapshots();
      void client.dispose();
    };
  }, [token, changed]);

  return (
    <div className="stand">
      <header>
        <h1>Pocket Chain <small>test stand</small></h1>
        <span className={`indicator ${connection}`} data-testid="connection" title="live updates over /graphql/ws">
          {connection === "connected" ? "live" : connection === "connecting" ? "connecting…" : "offline — reconnecting"}
        </span>
        <TokenBox token={token} onSave={(t) => { saveToken(t); setToken(loadToken()); }} />
        <a href="/graphiql">GraphiQL</a>
        <ResetButton onDone={(message) => { setNotice(message); void changed(); }} />
      </header>
      {notice && <p className="notice" data-testid="notice">{notice}</p>}
      {chain && <ChainInfoBar chain={chain} />}
      <ExplorerPanel changes={changes} page={page} onOpen={setPage} />
      <DevAccountsPanel changes={changes} onDone={changed} />
      <div className="grid">
        <WalletsPanel
          wallets={wallets}
          total={walletTotal}
          onMore={walletsAfter ? async () => {
            const r = await gql<WalletsPageQuery>(queries.walletsPage, { after: walletsAfter });
            const page = r.data?.wallets;
            if (!page) return;
            setWallets((shown) => [...shown, ...page.nodes]);
            setWalletsAfter(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
          } : null}
          onCreated={changed}
          onFilter={setUtxoFilter}
        />
        <div className="forms">
          <SendForm wallets={wallets} onDone={changed} />
          <BrowserWallet changes={changes} onOpen={setPage} />
          <MineForm onDone={changed} />
          <MiningProgressBar />
          <MiningPanel changes={changes} onDone={changed} />
        </div>
      </div>
      <BlockTree changes={changes} reorgs={reorgs} />
      <PeersPanel />
      <SnapshotsPanel changes={changes} onDone={changed} />
      <BlocksPanel changes={changes} onOpen={setPage} />
      <div className="grid">
        <ChainstatePanel filter={utxoFilter} onFilter={setUtxoFilter} changes={changes} />
        <PoolPanel changes={changes} onDone={changed} />
      </div>
    </div>
  );
}
