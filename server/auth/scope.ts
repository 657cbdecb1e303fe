/** One `type:name:actions` scope of Docker's token protocol. */
export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses a scope. The name sits between the first and the last colon (the type comes first, the actions last);
 * unparsable scopes are dropped, as the token service grants nothing it cannot read.
 */
export function parseScope(value: string): Scope | null {
  const first = value.indexOf(':');
  const last = value.lastIndexOf(':');
  if (first <= 0 || last <= first + 1) return null;
  const actions = value
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return { type: value.slice(0, first), name: value.slice(first + 1, last), actions };
}
