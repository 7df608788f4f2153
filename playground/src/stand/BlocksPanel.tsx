// Blocks as a linked chain, newest first, a page at a time; a block opens in full below.
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { BlockQuery, BlocksQuery } from "../generated/operations";
import { shorten } from "../logic";
import { BlockView } from "./BlockView";
import type { Page } from "./ExplorerPanel";
import type { BlockDetail, BlockSummary } from "./types";

export function BlocksPanel({ changes, onOpen }: { changes: number; onOpen: (page: Page) => void }) {
  const [blocks, setBlocks] = useState<BlockSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [detail, setDetail] = useState<BlockDetail | null>(null);
  const page = cursors[cursors.length - 1];

  useEffect(() => {
    void gql<BlocksQuery>(queries.blocks, { after: page }).then((r) => {
      if (!r.data) return;
      setBlocks(r.data.blocks.nodes);
      setTotal(r.data.blocks.totalCount);
      setNextCursor(r.data.blocks.pageInfo.hasNextPage ? r.data.blocks.pageInfo.endCursor : null);
    });
  }, [page, changes]);

  const open = async (height: number) => {
    const r = await gql<BlockQuery>(queries.block, { height });
    setDetail(r.data?.block ?? null);
  };

  return (
    <section className="panel" data-testid="blocks">
      <h2>Blocks <small>{total} in all, newest first</small></h2>
      <div className="chain-picture">
        {blocks.map((b, i) => (
          <div key={b.hash} className="link">
            <button className={`block ${detail?.hash === b.hash ? "selected" : ""}`} data-testid={`block-${b.height}`} onClick={() => void open(b.height)}>
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
      {detail && <BlockView block={detail} onClose={() => setDetail(null)} onOpen={onOpen} />}
    </section>
  );
}
