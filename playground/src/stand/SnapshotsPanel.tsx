// Snapshots: take one, go back to one, delete one. The list is read again on every change the
// server announces (a snapshot taken or deleted anywhere, a revert, a reset).
import { useEffect, useState } from "react";
import { gql, queries } from "../api";
import type { DeleteSnapshotMutation, RevertMutation, SnapshotsQuery, TakeSnapshotMutation } from "../generated/operations";
import { formatTime, shorten } from "../logic";

type Snapshot = SnapshotsQuery["snapshots"][number];

export function SnapshotsPanel({ changes, onDone }: { changes: number; onDone: () => Promise<void> }) {
  const [snapshots, setSnapshots] = useState<Snapshot[]>([]);
  const [name, setName] = useState("");
  const [message, setMessage] = useState("");
  // The snapshot a revert waits to be confirmed for: a revert deletes the blocks above it and
  // every snapshot taken after it.
  const [confirming, setConfirming] = useState<string | null>(null);

  useEffect(() => {
    void gql<SnapshotsQuery>(queries.snapshots).then((r) => {
      if (r.data) setSnapshots(r.data.snapshots);
    });
  }, [changes]);

  const report = async (errors: { message: string }[] | undefined, ok: string) => {
    setMessage(errors ? errors.map((e) => e.message).join("; ") : ok);
    await onDone();
  };

  return (
    <section className="panel" data-testid="snapshots">
      <h2>Snapshots <small>go back to a saved chain</small></h2>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const r = await gql<TakeSnapshotMutation>(queries.takeSnapshot, { name: name.trim() || null });
        setName("");
        await report(r.errors, `snapshot ${r.data?.snapshot.id} taken at height ${r.data?.snapshot.height ?? "–"}`);
      }}>
        <input placeholder="name (optional)" value={name} onChange={(e) => setName(e.target.value)} data-testid="snapshot-name" />
        <button type="submit" data-testid="snapshot-take">Take snapshot</button>
      </form>
      <table>
        <thead><tr><th>#</th><th>name</th><th>height</th><th>tip</th><th>taken</th><th /></tr></thead>
        <tbody>
          {snapshots.map((s) => (
            <tr key={s.id} data-testid="snapshot-row">
              <td>{s.id}</td>
              <td>{s.name ?? <span className="when">unnamed</span>}</td>
              <td>{s.height ?? "empty"}</td>
              <td title={s.tipHash ?? ""}>{s.tipHash && <code>{shorten(s.tipHash, 4)}</code>}</td>
              <td className="when">{formatTime(s.createdAt)}</td>
              <td>
                {confirming === s.id ? (
                  <span className="confirm" data-testid="snapshot-revert-question">
                    {revertQuestion(s, snapshots)}
                    <button className="danger" data-testid="snapshot-revert-confirm" onClick={async () => {
                      setConfirming(null);
                      const r = await gql<RevertMutation>(queries.revert, { id: s.id });
                      await report(r.errors, `reverted to snapshot ${s.id}: height ${r.data?.revert.height ?? "empty"}`);
                    }}>yes, revert</button>
                    <button onClick={() => setConfirming(null)}>cancel</button>
                  </span>
                ) : (
                  <button data-testid="snapshot-revert" onClick={() => setConfirming(s.id)}>Revert…</button>
                )}
                {confirming !== s.id && (
                  <button className="danger" data-testid="snapshot-delete" onClick={async () => {
                    const r = await gql<DeleteSnapshotMutation>(queries.deleteSnapshot, { id: s.id });
                    await report(r.errors, `snapshot ${s.id} deleted`);
                  }}>Delete</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && <p className="ok-text" data-testid="snapshot-message">{message}</p>}
    </section>
  );
}

/** What a revert to `target` deletes: the blocks above it, and the snapshots taken after it. */
function revertQuestion(target: Snapshot, all: Snapshot[]): string {
  const later = all.filter((s) => Number(s.id) > Number(target.id)).map((s) => `#${s.id}${s.name ? ` (${s.name})` : ""}`);
  const blocks = target.height === null || target.height === undefined
    ? "Delete every block"
    : `Delete every block above height ${target.height}`;
  const snapshots = later.length === 0
    ? "no other snapshot goes"
    : `snapshot${later.length === 1 ? "" : "s"} ${later.join(", ")} go${later.length === 1 ? "es" : ""} with ${later.length === 1 ? "it" : "them"}`;
  return `${blocks}? ${snapshots[0].toUpperCase()}${snapshots.slice(1)}. `;
}
