import { parseArgs } from 'node:util';

/** One option of a command: its flag, what it takes, and the line `--help` prints for it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help after the flag, for string options. */
  value?: string;
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** The options every command takes. */
export const globalOptions: OptionSpecs = {
  server: { type: 'string', value: 'url', help: 'the Berth server (default: $BERTH_SERVER, else the one `berth login` last signed in to)' },
  authfile: { type: 'string', value: 'file', help: 'the auth file to read or write (default: $REGISTRY_AUTH_FILE, else ~/.docker/config.json)' },
  output: { type: 'string', short: 'o', value: 'text|json', help: 'text for people (default), json for scripts: one JSON document on stdout' },
  'plain-http': { type: 'boolean', help: 'talk HTTP, not HTTPS, to registries named without a scheme (loopback hosts always use HTTP)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export class UsageError extends Error {}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], specs: OptionSpecs): Parsed {
  const options = Object.fromEntries(Object.entries({ ...globalOptions, ...specs }).map(([k, s]) => [k, { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }]));
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const output = values.output;
    if (output !== undefined && output !== 'text' && output !== 'json') throw new UsageError(`--output is text or json, not ${String(output)}`);
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function optionHelp(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => [`${s.short ? `-${s.short}, ` : '    '}--${name}${s.value ? ` <${s.value}>` : ''}${s.multiple ? ' ...' : ''}`, s.help] as const);
  const width = Math.max(...rows.map(([flag]) => flag.length), 10);
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

export const str = (v: Parsed['values'][string]): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: Parsed['values'][string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

export function positiveInt(name: string, v: Parsed['values'][string], fallback: number, max = 100_000): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1 || n > max) throw new UsageError(`--${name} must be a whole number up to ${max}, not ${String(v)}`);
  return n;
}
