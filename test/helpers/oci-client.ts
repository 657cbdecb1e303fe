import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send without the client's credentials. */
  anonymous?: boolean;
}

export interface PushedImage {
  digest: string;
  manifest: Buffer;
  config: Buffer;
  layers: Buffer[];
}

export const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';
export const ociIndexType = 'application/vnd.oci.image.index.v1+json';

/** A small OCI client over fetch for integration tests: each helper is one protocol step, asserted by the caller. */
export class OciTestClient {
  constructor(
    readonly baseUrl: string,
    readonly auth?: string,
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.auth && !options.anonymous) headers.authorization = this.auth;
    const body = typeof options.body === 'string' ? options.body : options.body ? new Uint8Array(options.body) : undefined;
    return fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  }

  /** Uploads a blob with a single POST carrying the digest; returns its digest. */
  async pushBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status !== 201) throw new Error(`blob push failed: ${res.status} ${await res.text()}`);
    return digest;
  }

  /** Uploads a blob with POST, PATCH chunks and a closing PUT. */
  async pushBlobChunked(repo: string, data: Buffer, chunkSize: number): Promise<string> {
    const digest = sha256(data);
    let res = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    if (res.status !== 202) throw new Error(`upload start failed: ${res.status}`);
    let location = res.headers.get('location')!;
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      const chunk = data.subarray(offset, offset + chunkSize);
      res = await this.request('PATCH', location, {
        body: chunk,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
      });
      if (res.status !== 202) throw new Error(`chunk failed: ${res.status} ${await res.text()}`);
      location = res.headers.get('location')!;
    }
    res = await this.request('PUT', `${location}?digest=${digest}`);
    if (res.status !== 201) throw new Error(`upload close failed: ${res.status} ${await res.text()}`);
    return digest;
  }

  async putManifest(repo: string, reference: string, manifest: Buffer | object, mediaType = ociManifestType): Promise<Response> {
    const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest));
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, { body, headers: { 'content-type': mediaType } });
  }

  /** Pushes a complete single-layer image (random content unless given) and tags it. */
  async pushImage(repo: string, tag: string, opts: { layers?: Buffer[]; extra?: Record<string, unknown> } = {}): Promise<PushedImage> {
    const layers = opts.layers ?? [randomBytes(1024)];
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) } }));
    for (const layer of layers) await this.pushBlob(repo, layer);
    await this.pushBlob(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
        ...opts.extra,
      }),
    );
    const res = await this.putManifest(repo, tag, manifest);
    if (res.status !== 201) throw new Error(`manifest push failed: ${res.status} ${await res.text()}`);
    return { digest: sha256(manifest), manifest, config, layers };
  }
}

/** The OCI error codes of a response body (empty when it is not an error document). */
export async function errorCodes(res: Response): Promise<string[]> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { errors?: Array<{ code: string }> }).errors?.map((e) => e.code) ?? [];
  } catch {
    return [];
  }
}
