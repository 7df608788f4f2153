// The chain drawn as a tree: the main chain along the top lane, stale blocks and side branches
// below it, each linked to its parent; and the reorganisations this page has seen, newest first.
import { useEffect, useRef, useState } from "react";
import { gql, queries } from "../api";
import type { BlockTreeQuery, LiveReorgSubscription } from "../generated/operations";
import { layoutTree, plural, shorten } from "../logic";

export type Reorg = LiveReorgSubscription["chainReorganized"];
type TreeBlock = BlockTreeQuery["blockTree"][number];

const DEPTH = 14;
const COLUMN = 92;
const LANE = 46;
const BOX = { width: 76, height: 30 };

export function BlockTree({ changes, reorgs }: { changes: number; reorgs: Reorg[] }) {
  const [blocks, setBlocks] = useState<TreeBlock[]>([]);
  const [sideBlocks, setSideBlocks] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void gql<BlockTreeQuery>(queries.blockTree, { depth: DEPTH }).then((r) => {
      if (r.data) {
        setBlocks(r.data.blockTree);
        setSideBlocks(r.data.chain.sideBlocks);
      }
    });
  }, [changes]);

  // The tip is drawn last, at the right: keep it in view as the tree grows past the panel.
  useEffect(() => {
    const box = scroller.current;
    if (box) box.scrollLeft = box.scrollWidth;
  }, [blocks]);

  const placed = layoutTree(blocks);
  const where = new Map(placed.map((p) => [p.block.hash, p]));
  const lanes = Math.max(1, ...placed.map((p) => p.lane + 1));
  const columns = Math.max(1, ...placed.map((p) => p.column + 1));
  const x = (column: number) => 8 + column * COLUMN;
  const y = (lane: number) => 8 + lane * LANE;

  return (
    <section className="panel" data-testid="block-tree">
      <h2>Block tree <small>the last {DEPTH} heights; {sideBlocks} side block{sideBlocks === 1 ? "" : "s"} kept in all</small></h2>
      <div className="tree-scroll" ref={scroller} data-testid="tree-scroll">
      <svg width={x(columns)} height={y(lanes) + 4} role="img" aria-label="block tree">
        {placed.map(({ block, column, lane }) => {
          const parent = where.get(block.prevHash);
          if (!parent) return null;
          return (
            <line key={`l-${block.hash}`} x1={x(parent.column) + BOX.width} y1={y(parent.lane) + BOX.height / 2}
              x2={x(column)} y2={y(lane) + BOX.height / 2} className="tree-link" />
          );
        })}
        {placed.map(({ block, column, lane }) => (
          <g key={block.hash} data-testid={block.mainChain ? "tree-main" : "tree-stale"} data-hash={block.hash}>
            <title>{`height ${block.height}\n${block.hash}\n${block.mainChain ? "main chain" : "off the main chain"}${block.invalidReason ? `\ninvalid: ${block.invalidReason}` : ""}`}</title>
            <rect x={x(column)} y={y(lane)} width={BOX.width} height={BOX.height} rx={5}
              className={block.mainChain ? "tree-main" : block.invalidReason ? "tree-invalid" : "tree-stale"} />
            <text x={x(column) + 6} y={y(lane) + 13} className="tree-height">#{block.height}</text>
            <text x={x(column) + 6} y={y(lane) + 25} className="tree-hash">{shorten(block.hash, 4)}</text>
          </g>
        ))}
      </svg>
      </div>
      {reorgs.length > 0 && (
        <ul className="reorgs" data-testid="reorgs">
          {reorgs.map((r) => (
            <li key={`${r.newTip}-${r.oldTip}`} data-testid="reorg">
              At height {r.forkHeight} the chain switched branches: tip #{r.oldHeight} → #{r.newHeight} (<code>{shorten(r.newTip, 4)}</code>);{" "}
              {plural(r.disconnected.length, "block")} taken off, {plural(r.connected.length, "block")} put on;{" "}
              {plural(r.returnedToPool.length, "transaction")} back in the pool
              {r.dropped.length > 0 && `, ${r.dropped.length} dropped`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
