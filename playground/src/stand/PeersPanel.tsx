// The peers this node follows: their state, height and last error, as `peersChanged` pushes them
// (a peer's state changes without the chain changing), with a form to add one and a button to
// drop it.
import { useEffect, useState } from "react";
import { gql, liveClient, queries } from "../api";
import type { AddPeerMutation, LivePeersSubscription, RemovePeerMutation } from "../generated/operations";
import { formatTime, plural, shorten } from "../logic";

type Peer = LivePeersSubscription["peersChanged"][number];

export function PeersPanel() {
  const [peers, setPeers] = useState<Peer[]>([]);
  const [url, setUrl] = useState("");
  const [message, setMessage] = useState("");

  useEffect(() => {
    const client = liveClient(() => undefined);
    const stop = client.subscribe<LivePeersSubscription>(
      { query: queries.livePeers },
      { next: (r) => r.data && setPeers(r.data.peersChanged), error: () => undefined, complete: () => undefined },
    );
    return () => { stop(); void client.dispose(); };
  }, []);

  return (
    <section className="panel" data-testid="peers">
      <h2>Peers <small>nodes this one follows and announces to</small></h2>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const r = await gql<AddPeerMutation>(queries.addPeer, { url: url.trim() });
        setMessage(r.errors ? r.errors.map((x) => x.message).join("; ") : `added ${r.data?.addPeer.url}: its state is in the table`);
        if (!r.errors) setUrl("");
      }}>
        <input placeholder="http://127.0.0.1:8081" value={url} onChange={(e) => setUrl(e.target.value)} data-testid="peer-url" />
        <button type="submit" data-testid="peer-add">Add peer</button>
      </form>
      {message && <p className="notice" data-testid="peer-message">{message}</p>}
      <table>
        <thead><tr><th>peer</th><th>state</th><th>height</th><th>tip</th><th>heard</th><th>received</th><th /></tr></thead>
        <tbody>
          {peers.map((p) => (
            <tr key={p.url} data-testid="peer-row">
              <td><code>{p.url}</code></td>
              <td>
                <span className={`peer-state ${p.state.toLowerCase()}`} data-testid="peer-state">{p.state}</span>
                {p.bannedUntil && <span className="when" data-testid="peer-banned"> until {new Date(p.bannedUntil * 1000).toLocaleTimeString()}</span>}
                {p.lastError && <div className="error" data-testid="peer-error">{p.lastError}</div>}
              </td>
              <td>{p.height ?? "–"}</td>
              <td>{p.tipHash ? <code title={p.tipHash}>{shorten(p.tipHash, 4)}</code> : "–"}</td>
              <td className="when">{p.lastSeen ? formatTime(p.lastSeen) : "never"}</td>
              <td>{plural(p.blocksReceived, "block")}, {plural(p.transactionsReceived, "transaction")}</td>
              <td>
                <button className="danger" data-testid="peer-remove" onClick={async () => {
                  const r = await gql<RemovePeerMutation>(queries.removePeer, { url: p.url });
                  setMessage(r.errors ? r.errors.map((x) => x.message).join("; ") : `stopped following ${p.url}`);
                }}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
