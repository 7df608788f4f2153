// The explorer: a search box taking an address, a txid, a block hash or a height, and the page
// it leads to. Addresses and txids on those pages open in turn.
import { useState } from "react";
import { gql, queries } from "../api";
import type { BlockQuery, LookupQuery } from "../generated/operations";
import { classifySearch } from "../logic";
import { AddressView } from "./AddressView";
import { BlockView } from "./BlockView";
import { TxView } from "./TxView";
import type { BlockDetail } from "./types";

export type Page = { kind: "address"; address: string } | { kind: "tx"; txId: string } | { kind: "block"; block: BlockDetail };

export function ExplorerPanel({ changes, page, onOpen }: { changes: number; page: Page | null; onOpen: (page: Page | null) => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const openBlock = async (height: number) => {
    const r = await gql<BlockQuery>(queries.block, { height });
    if (r.data?.block) onOpen({ kind: "block", block: r.data.block });
    else setError(`no block at height ${height}`);
  };
  return (
    <section className="panel" data-testid="explorer">
      <h2>Explorer <small>any address, transaction or block</small></h2>
      <form onSubmit={async (e) => {
        e.preventDefault();
        setError("");
        const target = classifySearch(text);
        if (target.kind === "invalid") { setError("an address, a txid, a block hash or a height"); return; }
        if (target.kind === "address") { onOpen({ kind: "address", address: target.address }); return; }
        if (target.kind === "height") { await openBlock(target.height); return; }
        const r = await gql<LookupQuery>(queries.lookup, { hash: target.hash });
        if (r.data?.transaction) onOpen({ kind: "tx", txId: target.hash });
        else if (r.data?.block) await openBlock(r.data.block.height);
        else setError("no transaction or block has this hash");
      }}>
        <input className="search" placeholder="address, txid, block hash or height" value={text} onChange={(e) => setText(e.target.value)} data-testid="search" />
        <button type="submit" data-testid="search-go">Find</button>
        {page && <button type="button" onClick={() => onOpen(null)}>close</button>}
      </form>
      {error && <p className="error-text" data-testid="search-error">{error}</p>}
      {page?.kind === "address" && <AddressView address={page.address} changes={changes} onOpen={onOpen} />}
      {page?.kind === "tx" && <TxView txId={page.txId} onOpen={onOpen} />}
      {page?.kind === "block" && <BlockView block={page.block} onClose={() => onOpen(null)} onOpen={onOpen} />}
    </section>
  );
}
