// The one way a caught value becomes text for a visitor or a log line.

/** The message of an Error, or the value itself as text (a thrown string, say). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A message (or a caught value's) as a clause of a sentence of ours: its final full stop dropped. */
export function clause(e: unknown): string {
  return errorMessage(e).replace(/\.$/, '');
}
