// The API token box: entered once, kept in the browser.
import { useState } from "react";

export function TokenBox({ token, onSave }: { token: string; onSave: (token: string) => void }) {
  const [draft, setDraft] = useState(token);
  return (
    <form className="token" onSubmit={(e) => { e.preventDefault(); onSave(draft); }}>
      <input type="password" placeholder="API token (if the server has one)" value={draft} onChange={(e) => setDraft(e.target.value)} data-testid="token" />
      <button type="submit">{token ? "update token" : "use token"}</button>
    </form>
  );
}
