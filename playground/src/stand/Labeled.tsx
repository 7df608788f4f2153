// A form field with its label and the server's error for it, next to it.
import type { ReactNode } from "react";

export function Labeled({ label, error, children }: { label: string; error?: string; children: ReactNode }) {
  return (
    <label className={error ? "has-error" : ""}>
      <span>{label}</span>
      {children}
      {error && <span className="field-error" data-testid="field-error">{error}</span>}
    </label>
  );
}
