import type { Readable, Writable } from 'node:stream';
import { BerthApi } from '../client/api-client.ts';
import { authFilesForRead, lookupCredentials } from '../client/auth-file.ts';
import { ClientError } from '../client/errors.ts';
import { hostOf, originOf, type Credentials, type Endpoint } from '../client/endpoint.ts';
import { parseImageRef, type ImageRef } from '../client/image-ref.ts';
import { RegistryClient } from '../client/registry-client.ts';
import { str, UsageError, type Parsed } from './args.ts';
import { readConfig } from './cli-config.ts';

export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const userAgent = 'berth-cli/0.1.0';

/** An image reference resolved against the server: the registry's origin and the parsed reference. */
export interface ResolvedImage {
  origin: string;
  host: string;
  ref: ImageRef;
}

/**
 * What a command needs from its command line and environment: which server, whose credentials, text or JSON.
 * Credentials come from $BERTH_USERNAME/$BERTH_PASSWORD for the Berth server (what CI jobs set), else from the
 * auth file `berth login` wrote.
 */
export class CliContext {
  readonly json: boolean;
  readonly plainHttp: boolean;

  constructor(
    readonly io: CliIO,
    readonly values: Parsed['values'],
  ) {
    this.json = values.output === 'json';
    this.plainHttp = values['plain-http'] === true || io.env.BERTH_PLAIN_HTTP === '1';
  }

  /** The Berth server's origin: --server, $BERTH_SERVER, or the one `berth login` recorded. */
  async server(): Promise<string> {
    const named = str(this.values.server) || this.io.env.BERTH_SERVER || (await readConfig(this.io.env)).server;
    if (!named) throw new UsageError('no Berth server: pass --server, set BERTH_SERVER, or run `berth login <server>` first');
    return originOf(named, this.plainHttp);
  }

  async credentialsFor(origin: string): Promise<Credentials | undefined> {
    const { BERTH_USERNAME: username, BERTH_PASSWORD: password } = this.io.env;
    const server = await this.server().catch(() => undefined);
    if (username && password && (server === undefined || server === origin)) return { username, password };
    return lookupCredentials(hostOf(origin), authFilesForRead(str(this.values.authfile), this.io.env));
  }

  async endpoint(origin: string, credentials?: Credentials): Promise<Endpoint> {
    return { url: origin, credentials: credentials ?? (await this.credentialsFor(origin)), userAgent };
  }

  /** An image reference; one without a host is on the Berth server. */
  async image(text: string | undefined, what = 'image'): Promise<ResolvedImage> {
    if (!text) throw new UsageError(`missing the ${what} (host/project/repository:tag)`);
    const ref = parseImageRef(text);
    const server = await this.server().catch(() => undefined);
    let origin: string;
    if (!ref.host) {
      if (!server) throw new UsageError(`${text} names no registry host and there is no Berth server (--server, BERTH_SERVER or berth login)`);
      origin = server;
    } else {
      origin = server && hostOf(server) === ref.host ? server : originOf(ref.host, this.plainHttp);
    }
    return { origin, host: hostOf(origin), ref };
  }

  async registry(origin: string, credentials?: Credentials): Promise<RegistryClient> {
    return new RegistryClient(await this.endpoint(origin, credentials));
  }

  /** The management API of the server an image is on (or of the Berth server). */
  async api(origin?: string): Promise<BerthApi> {
    const url = origin ?? (await this.server());
    const endpoint = await this.endpoint(url);
    if (!endpoint.credentials) throw new ClientError('auth', `no credentials for ${hostOf(url)}: run \`berth login ${hostOf(url)}\` or set BERTH_USERNAME and BERTH_PASSWORD`);
    return new BerthApi(endpoint);
  }

  out(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  err(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** The command's result: JSON on stdout with --output json, else the text lines. */
  result(value: unknown, text: () => string | string[]): void {
    if (this.json) {
      this.out(JSON.stringify(value, null, 2));
      return;
    }
    const lines = text();
    for (const l of Array.isArray(lines) ? lines : [lines]) this.out(l);
  }
}

/** `user:password`, as skopeo's --creds takes it. */
export function parseCreds(text: string | undefined): Credentials | undefined {
  if (text === undefined) return undefined;
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError('credentials are user:password');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
