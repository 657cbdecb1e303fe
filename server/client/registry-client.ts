import { Readable } from 'node:stream';
import { digestOf } from './digest.ts';
import { ClientError, errorFromResponse, networkError } from './errors.ts';
import { basicAuth, type Endpoint } from './endpoint.ts';

/** The manifest media types a client accepts, most specific first. */
export const manifestMediaTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

interface RequestOptions {
  /** Token scopes this request needs (`repository:dev/app:pull,push`). */
  scopes?: string[];
  headers?: Record<string, string>;
  /** A body that can be sent again after a token round trip. */
  body?: Buffer | string;
  /** A body that can be sent once: the token must be in hand already (an earlier request of the same scope got it). */
  stream?: Readable;
  redirect?: RequestRedirect;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export const pullScope = (repository: string): string => `repository:${repository}:pull`;
export const pushScope = (repository: string): string => `repository:${repository}:pull,push`;

/**
 * The OCI Distribution API with Docker's token protocol: a 401 challenge names the token realm; the client asks it
 * for a token for the request's scopes (with Basic credentials when it has them, anonymously otherwise), caches it
 * per scope set until shortly before it expires, and sends it as Bearer. A registry that challenges with Basic
 * gets Basic. Blob bodies stream both ways; nothing here holds a whole blob in memory.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private challenge?: Challenge;

  constructor(readonly endpoint: Endpoint) {}

  get url(): string {
    return this.endpoint.url;
  }

  /** Checks the credentials: the token service (or /v2/ with Basic) must accept them. */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/', { scopes: [] });
    if (!res.ok) throw await errorFromResponse(res, 'sign-in');
    await res.body?.cancel();
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const key = (options.scopes ?? []).join(' ');
    let res = await this.send(method, path, options, this.authorization(key));
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    if (!challenge) return res;
    this.challenge = challenge;
    if (challenge.scheme === 'bearer') await this.fetchToken(challenge, options.scopes ?? []);
    if (options.stream) throw new ClientError('auth', `${method} ${path}: the registry asked for credentials again mid-upload`, 401);
    res = await this.send(method, path, options, this.authorization(key));
    return res;
  }

  private authorization(key: string): string | undefined {
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    if (this.challenge?.scheme === 'basic' && this.endpoint.credentials) return basicAuth(this.endpoint.credentials);
    return undefined;
  }

  private async send(method: string, path: string, options: RequestOptions, authorization?: string): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.endpoint.url}${path}`;
    const headers: Record<string, string> = { ...options.headers };
    if (authorization) headers.authorization = authorization;
    if (this.endpoint.userAgent) headers['user-agent'] = this.endpoint.userAgent;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: options.redirect ?? 'follow' };
    if (options.stream) {
      init.body = Readable.toWeb(options.stream) as ReadableStream;
      init.duplex = 'half';
    } else if (options.body !== undefined) {
      init.body = typeof options.body === 'string' ? options.body : new Uint8Array(options.body);
    }
    try {
      return await fetch(url, init);
    } catch (err) {
      if (err instanceof ClientError) throw err;
      throw networkError(url, err);
    }
  }

  private async fetchToken(challenge: Challenge, scopes: string[]): Promise<void> {
    const realm = challenge.params.realm;
    if (!realm) throw new ClientError('server', 'the registry challenged for a token without naming its realm');
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.endpoint.credentials) headers.authorization = basicAuth(this.endpoint.credentials);
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (err) {
      throw networkError(url.toString(), err);
    }
    if (!res.ok) throw await errorFromResponse(res, this.endpoint.credentials ? `sign-in as ${this.endpoint.credentials.username}` : 'anonymous token');
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new ClientError('server', 'the token service answered without a token');
    // Renew 30 s early, so a token never expires between the check and the request.
    const lifetime = Math.max(30, body.expires_in ?? 60) * 1000;
    this.tokens.set(scopes.join(' '), { token, expires: Date.now() + lifetime - 30_000 });
  }

  /** The blob's size when the repository has it, undefined when it does not. */
  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, { scopes: [pushScope(repository)] });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorFromResponse(res, `HEAD blob ${digest} in ${repository}`);
    return Number(res.headers.get('content-length') ?? '0');
  }

  /** Mounts a blob from another repository of the same registry; false when the registry would not (then upload). */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const res = await this.request('POST', `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, {
      scopes: [pushScope(repository), pullScope(from)],
      redirect: 'manual',
    });
    if (res.status === 201) return true;
    if (res.status === 202) {
      // The registry opened an upload instead; cancel it rather than leave it to expire.
      const location = res.headers.get('location');
      if (location) await this.request('DELETE', location, { scopes: [pushScope(repository)] }).then((r) => r.body?.cancel()).catch(() => undefined);
      return false;
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) return false;
    throw await errorFromResponse(res, `mount ${digest} from ${from} into ${repository}`);
  }

  /**
   * Uploads a blob in one stream: POST for a session, then PUT with the body and `?digest=`. The registry hashes
   * what it receives and refuses a mismatch, so nothing is hashed twice here.
   */
  async uploadBlob(repository: string, digest: string, size: number, body: Readable): Promise<void> {
    const scopes = [pushScope(repository)];
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, { scopes, redirect: 'manual' });
    if (start.status !== 202) {
      body.destroy();
      throw await errorFromResponse(start, `start upload of ${digest} to ${repository}`);
    }
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location) throw new ClientError('server', `the registry opened an upload of ${digest} without a Location`);
    const target = new URL(location, this.endpoint.url);
    target.searchParams.set('digest', digest);
    const res = await this.request('PUT', target.toString(), {
      scopes,
      stream: body,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    if (res.status !== 201) throw await errorFromResponse(res, `upload ${digest} to ${repository}`);
    await res.body?.cancel();
  }

  /** The blob's bytes as a stream (following a redirect to storage). */
  async openBlob(repository: string, digest: string): Promise<{ stream: Readable; size: number }> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, { scopes: [pullScope(repository)] });
    if (!res.ok || !res.body) throw await errorFromResponse(res, `GET blob ${digest} from ${repository}`);
    return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), size: Number(res.headers.get('content-length') ?? '-1') };
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, { scopes: [pullScope(repository)], headers: { accept: manifestMediaTypes.join(', ') } });
    if (!res.ok) throw await errorFromResponse(res, `GET manifest ${repository}:${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() || ((JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? manifestMediaTypes[0]);
    const digest = digestOf(bytes);
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) throw new ClientError('server', `the registry sent ${repository}:${reference} with digest ${claimed}, but its bytes hash to ${digest}`);
    if (reference.includes(':') && reference !== digest) throw new ClientError('server', `asked for ${reference}, received bytes hashing to ${digest}`);
    return { bytes, mediaType, digest };
  }

  /** Puts a manifest under a tag or its digest; answers the digest the registry computed. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, { scopes: [pushScope(repository)], body: bytes, headers: { 'content-type': mediaType } });
    if (res.status !== 201) throw await errorFromResponse(res, `PUT manifest ${repository}:${reference}`);
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? '';
  }

  async listTags(repository: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repository}/tags/list?n=10000`, { scopes: [pullScope(repository)] });
    if (!res.ok) throw await errorFromResponse(res, `list tags of ${repository}`);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }
}
