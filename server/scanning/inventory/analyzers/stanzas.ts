/** One field of an RFC 822-style record; a record may repeat a field (Python's `Classifier:`). */
export interface StanzaField {
  name: string;
  value: string;
}

/**
 * Splits RFC 822-style text (dpkg status, Python METADATA headers) into records separated by blank lines.
 * A line starting with a space or tab continues the previous field; its text is appended after a newline.
 * Lines without a colon that are not continuations are dropped, so one broken line spoils only itself.
 * `limit` stops after that many records (Python metadata reads only the header block).
 */
export function parseStanzas(text: string, limit = Infinity): StanzaField[][] {
  const records: StanzaField[][] = [];
  let current: StanzaField[] = [];
  let last: StanzaField | undefined;
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.trim() === '') {
      if (current.length > 0) {
        records.push(current);
        if (records.length >= limit) return records;
      }
      current = [];
      last = undefined;
      continue;
    }
    if (l[0] === ' ' || l[0] === '\t') {
      if (last) last.value += `\n${l.trim()}`;
      continue;
    }
    const colon = l.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    last = { name: l.slice(0, colon).trim(), value: l.slice(colon + 1).trim() };
    current.push(last);
  }
  if (current.length > 0 && records.length < limit) records.push(current);
  return records;
}

/** The first value of a field, matched case-insensitively as RFC 822 field names are. */
export function field(record: StanzaField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return record.find((f) => f.name.toLowerCase() === lower)?.value;
}
