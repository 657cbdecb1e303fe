import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageDriver } from '../../server/storage/driver.ts';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestServer, adminPassword, type TestServer } from '../helpers/test-server.ts';
import { OciTestClient, sha256 } from '../helpers/oci-client.ts';

/**
 * What happens when things break: the process dies mid-upload, the data directory cannot be written, the disk
 * fills up mid-write. The registry must never show a partial blob, must start again on the same data, and must
 * tell the client (and the operator) clearly what went wrong.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const adminAuth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
const MiB = 1024 * 1024;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

/** Files under <dataDir>/storage/blobs whose name carries the digest's hex (the blob or a temporary beside it). */
async function blobFilesOf(dataDir: string, digest: string): Promise<string[]> {
  const hex = digest.slice(digest.indexOf(':') + 1);
  return (await listFiles(path.join(dataDir, 'storage', 'blobs'))).filter((f) => path.basename(f).includes(hex));
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => -1,
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Sends a request whose body trickles in (`piece` bytes every `everyMs`), as a big layer on a slow link does.
 * The caller kills the server while it is still streaming.
 */
function trickle(port: number, head: string, body: Buffer, piece = 64 * 1024, everyMs = 25): { sent: () => number; stop: () => void } {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.once('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (sent >= body.length || socket.destroyed) return clearInterval(timer);
      const chunk = body.subarray(sent, sent + piece);
      sent += chunk.length;
      socket.write(chunk);
    }, everyMs);
  });
  socket.once('close', () => clearInterval(timer));
  return {
    sent: () => sent,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

const requestHead = (method: string, target: string, port: number, headers: Record<string, string>): string =>
  `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: ${adminAuth}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

// ---------------------------------------------------------------------------------------------------------------

describe('a Berth process killed with SIGKILL mid-upload', () => {
  const repo = 'library/crash';
  let dataDir: string;
  let proc: BerthProcess | undefined;
  let client: OciTestClient;

  // The chunked upload: two chunks accepted, the third cut off by the kill.
  const chunk = MiB;
  const chunked = randomBytes(2 * chunk + 8 * MiB);
  const chunkedDigest = sha256(chunked);
  let sessionLocation = '';
  let sessionId = '';
  // The monolithic upload cut off by the second kill.
  const mono = randomBytes(8 * MiB);
  const monoDigest = sha256(mono);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-crash-'));
  });
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    proc = await startBerthProcess({ dataDir, port: proc?.port });
    client = new OciTestClient(proc.url, adminAuth);
  }

  it('dies in the middle of a chunked PATCH', async () => {
    await start();
    const res = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
    expect(res.status).toBe(202);
    sessionLocation = res.headers.get('location')!;
    sessionId = sessionLocation.split('/').pop()!;
    for (let offset = 0; offset < 2 * chunk; offset += chunk) {
      const patch = await client.request('PATCH', sessionLocation, {
        body: chunked.subarray(offset, offset + chunk),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk - 1}` },
      });
      expect(patch.status).toBe(202);
    }
    const rest = chunked.subarray(2 * chunk);
    const upload = trickle(
      proc!.port,
      requestHead('PATCH', sessionLocation, proc!.port, {
        'content-type': 'application/octet-stream',
        'content-range': `${2 * chunk}-${chunked.length - 1}`,
        'content-length': String(rest.length),
      }),
      rest,
    );
    // Kill once the server has written part of the third chunk to disk.
    const dataFile = path.join(dataDir, 'storage', 'uploads', sessionId, 'data');
    await waitFor('the third chunk to reach the disk', async () => ((await fileSize(dataFile)) > 2 * chunk + 256 * 1024 ? true : undefined));
    await proc!.kill('SIGKILL');
    upload.stop();
    expect(upload.sent()).toBeLessThan(rest.length);
    expect(proc!.child.signalCode).toBe('SIGKILL');
  });

  it('restarts on the same data directory and dies in the middle of a monolithic POST', async () => {
    await start();
    const before = new Set(await readdir(path.join(dataDir, 'storage', 'uploads')));
    const upload = trickle(
      proc!.port,
      requestHead('POST', `/v2/${repo}/blobs/uploads/?digest=${monoDigest}`, proc!.port, {
        'content-type': 'application/octet-stream',
        'content-length': String(mono.length),
      }),
      mono,
    );
    await waitFor('the monolithic body to reach the disk', async () => {
      for (const id of await readdir(path.join(dataDir, 'storage', 'uploads'))) {
        if (!before.has(id) && (await fileSize(path.join(dataDir, 'storage', 'uploads', id, 'data'))) > 256 * 1024) return true;
      }
      return undefined;
    });
    await proc!.kill('SIGKILL');
    upload.stop();
    expect(upload.sent()).toBeLessThan(mono.length);
  });

  it('starts cleanly again on the same data directory', async () => {
    await start();
    const res = await client.request('GET', '/v2/');
    expect(res.status).toBe(200);
    // Nothing logged at error or fatal level (pino levels 50 and 60) while recovering.
    expect(proc!.output()).not.toMatch(/"level":(50|60)/);
  });

  it('shows no partial blob: HEAD answers 404 and no blob file exists for either digest', async () => {
    for (const digest of [chunkedDigest, monoDigest]) {
      const head = await client.request('HEAD', `/v2/${repo}/blobs/${digest}`);
      expect(head.status, `HEAD ${digest}`).toBe(404);
      const get = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
      expect(get.status, `GET ${digest}`).toBe(404);
      expect(await blobFilesOf(dataDir, digest)).toEqual([]);
    }
  });

  it('resumes the interrupted chunked upload from the offset it reports', async () => {
    const status = await client.request('GET', sessionLocation);
    expect(status.status).toBe(204);
    const range = /^0-(\d+)$/.exec(status.headers.get('range') ?? '');
    expect(range, `Range header ${status.headers.get('range')}`).not.toBeNull();
    const have = Number(range![1]) + 1;
    // Both accepted chunks survived the crash; whatever of the third was stored is a true prefix of it.
    expect(have).toBeGreaterThanOrEqual(2 * chunk);
    expect(have).toBeLessThan(chunked.length);
    const patch = await client.request('PATCH', status.headers.get('location') ?? sessionLocation, {
      body: chunked.subarray(have),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${have}-${chunked.length - 1}` },
    });
    expect(patch.status, await patch.text()).toBe(202);
    const done = await client.request('PUT', `${patch.headers.get('location') ?? sessionLocation}?digest=${chunkedDigest}`);
    expect(done.status, await done.text()).toBe(201);
    const blob = await client.request('GET', `/v2/${repo}/blobs/${chunkedDigest}`);
    expect(blob.status).toBe(200);
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(chunkedDigest);
  });

  it('accepts the interrupted monolithic blob and an image again, and serves them back', async () => {
    expect(await client.pushBlob(repo, mono)).toBe(monoDigest);
    const again = await client.pushBlobChunked(`${repo}-2`, chunked, 4 * MiB);
    expect(again).toBe(chunkedDigest);
    const image = await client.pushImage(repo, 'after-crash', { layers: [mono, randomBytes(4096)] });
    const manifest = await client.request('GET', `/v2/${repo}/manifests/after-crash`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(image.digest);
    expect(sha256(Buffer.from(await manifest.arrayBuffer()))).toBe(image.digest);
    const layer = await client.request('GET', `/v2/${repo}/blobs/${monoDigest}`);
    expect(sha256(Buffer.from(await layer.arrayBuffer()))).toBe(monoDigest);
    expect(await blobFilesOf(dataDir, monoDigest)).toHaveLength(1);
    expect(await blobFilesOf(dataDir, chunkedDigest)).toHaveLength(1);
  });

  it('stops gracefully on SIGTERM afterwards', async () => {
    await proc!.kill('SIGTERM');
    expect(proc!.child.exitCode).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** Runs `npm start`'s entry point with the given data directory and returns how it ended (it must not start). */
function runUntilExit(dataDir: string, timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        BERTH_PORT: '0',
        BERTH_HOST: '127.0.0.1',
        BERTH_DATA_DIR: dataDir,
        BERTH_ADMIN_PASSWORD: adminPassword,
        BERTH_LOG_LEVEL: 'warn',
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('an unusable data directory (tests run as root, so every case fails for root too)', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'berth-baddir-'));
  });
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  const cases: Array<{ name: string; prepare: (dir: string) => Promise<{ dataDir: string; named: string }> }> = [
    {
      name: 'a data directory below a regular file (ENOTDIR)',
      prepare: async (dir) => {
        await writeFile(path.join(dir, 'a-file'), 'not a directory');
        const dataDir = path.join(dir, 'a-file', 'data');
        return { dataDir, named: dataDir };
      },
    },
    {
      name: 'a storage folder that is a regular file',
      prepare: async (dir) => {
        const dataDir = path.join(dir, 'storage-file');
        await mkdir(dataDir);
        await writeFile(path.join(dataDir, 'storage'), 'not a directory');
        return { dataDir, named: path.join(dataDir, 'storage') };
      },
    },
    {
      name: 'a database folder that is a regular file',
      prepare: async (dir) => {
        const dataDir = path.join(dir, 'db-file');
        await mkdir(dataDir);
        await writeFile(path.join(dataDir, 'db'), 'not a directory');
        return { dataDir, named: path.join(dataDir, 'db') };
      },
    },
  ];

  it.each(cases)('$name: exits non-zero with a one-line message naming the path, no stack trace', async ({ prepare }) => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    const { dataDir, named } = await prepare(dir);
    const { code, signal, output } = await runUntilExit(dataDir);
    expect(signal, `still running after 30 s:\n${output}`).toBeNull();
    expect(code, output).not.toBe(0);
    expect(output, 'names the unusable path').toContain(named);
    expect(output, 'no stack trace').not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(output, 'no stack trace in a JSON log line').not.toMatch(/"stack"/);
    expect(output).not.toMatch(/listening/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** Wraps a real file writer so that the disk "fills up": writes past `limit` bytes (or the final flush) fail. */
function fillingUp(real: Writable, opts: { limit?: number; failOnClose?: boolean }): Writable {
  let written = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (opts.limit !== undefined && written + chunk.length > opts.limit) {
        real.end(() => done(enospc()));
        return;
      }
      written += chunk.length;
      real.write(chunk, done);
    },
    final(done) {
      real.end(() => done(opts.failOnClose ? enospc() : null));
    },
    destroy(err, done) {
      if (!real.destroyed && !real.writableFinished) real.destroy();
      done(err);
    },
  });
}

describe('storage failing mid-operation (in-process)', () => {
  const repo = 'library/disk-full';
  let server: TestServer;
  let client: OciTestClient;
  let storage: StorageDriver;
  let restore: () => void;

  beforeAll(async () => {
    server = await createTestServer();
    client = new OciTestClient(server.url, server.adminAuth);
    storage = server.services.storage;
    const writer = storage.writer;
    const putContent = storage.putContent;
    restore = () => {
      storage.writer = writer;
      storage.putContent = putContent;
    };
  });
  afterAll(async () => server?.stop());

  function failWrites(opts: { limit?: number; failOnClose?: boolean }): void {
    const real = storage.writer.bind(storage);
    storage.writer = async (p, o) => fillingUp(await real(p, o), opts);
  }
  function failPutContent(): void {
    storage.putContent = async () => {
      throw enospc();
    };
  }

  /** Sends one raw request (so a reset connection is seen as such) and returns the status (0: no answer) and body. */
  function raw(method: string, target: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const all = Buffer.concat(received).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0);
        resolve({ status, text: all.slice(all.indexOf('\r\n\r\n') + 4) });
      });
      socket.write(requestHead(method, target, server.port, { connection: 'close', 'content-length': String(body.length), ...headers }));
      socket.write(body);
    });
  }

  function expectStorageError(res: { status: number; text: string }): void {
    expect(res.status, `answered ${res.status || 'nothing (connection reset)'}: ${res.text.slice(0, 300)}`).toBe(507);
    const doc = JSON.parse(res.text) as { errors: Array<{ code: string; message: string }> };
    expect(doc.errors).toHaveLength(1);
    expect(doc.errors[0]!.message).toMatch(/storage/i);
    expect(doc.errors[0]!.message).not.toMatch(/request id/);
  }

  async function expectNoBlob(digest: string): Promise<void> {
    expect((await client.request('HEAD', `/v2/${repo}/blobs/${digest}`)).status).toBe(404);
    expect(await blobFilesOf(server.dataDir, digest)).toEqual([]);
  }

  const uploadFolders = (): Promise<string[]> => readdir(path.join(server.dataDir, 'storage', 'uploads')).catch(() => [] as string[]);

  /** Monolithic uploads are private to their request: once it is answered, no upload folder may remain. */
  async function expectNoUploadsLeft(): Promise<void> {
    await waitFor('upload folders to be cleaned up', async () => ((await uploadFolders()).length === 0 ? true : undefined), 3_000).catch(
      async () => expect(await uploadFolders()).toEqual([]),
    );
  }

  it('a monolithic push whose storage fills up when the file is flushed gets 507 and leaves nothing', async () => {
    const data = randomBytes(256 * 1024);
    failWrites({ failOnClose: true });
    try {
      expectStorageError(await raw('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, data));
    } finally {
      restore();
    }
    await expectNoBlob(sha256(data));
    await expectNoUploadsLeft();
  });

  it('a monolithic push whose storage fills up mid-body gets 507 (not a reset connection) and leaves nothing', async () => {
    const data = randomBytes(4 * MiB);
    failWrites({ limit: MiB });
    try {
      expectStorageError(await raw('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, data));
    } finally {
      restore();
    }
    await expectNoBlob(sha256(data));
    await expectNoUploadsLeft();
  });

  it('a chunk whose storage fills up gets 507, and the upload keeps exactly the earlier chunks', async () => {
    const first = randomBytes(64 * 1024);
    const second = randomBytes(4 * MiB);
    const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
    const location = start.headers.get('location')!;
    const patch = await client.request('PATCH', location, {
      body: first,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${first.length - 1}` },
    });
    expect(patch.status).toBe(202);
    failWrites({ limit: MiB });
    let res;
    try {
      res = await raw('PATCH', location, second, { 'content-type': 'application/octet-stream', 'content-range': `${first.length}-${first.length + second.length - 1}` });
    } finally {
      restore();
    }
    // The upload is cut back to what was accepted before, whatever the client was told.
    await waitFor('the failed chunk to be undone', async () => {
      const status = await client.request('GET', location);
      return status.headers.get('range') === `0-${first.length - 1}` ? true : undefined;
    });
    const full = Buffer.concat([first, second]);
    await expectNoBlob(sha256(full));
    // With space again, the client resumes and finishes.
    const retry = await client.request('PATCH', location, {
      body: second,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${first.length}-${full.length - 1}` },
    });
    expect(retry.status).toBe(202);
    const done = await client.request('PUT', `${location}?digest=${sha256(full)}`);
    expect(done.status).toBe(201);
    const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(full)}`);
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(sha256(full));
    expectStorageError(res);
  });

  it('starting an upload when storage cannot write gets 507 and no session', async () => {
    const before = await uploadFolders();
    failPutContent();
    let res;
    try {
      res = await raw('POST', `/v2/${repo}/blobs/uploads/`, Buffer.alloc(0));
    } finally {
      restore();
    }
    expectStorageError(res);
    expect(await uploadFolders()).toEqual(before);
  });

  it('a manifest push when storage cannot write gets 507 and the tag does not appear', async () => {
    const image = await client.pushImage(repo, 'base');
    const manifest = Buffer.from(JSON.stringify({ ...JSON.parse(image.manifest.toString()), annotations: { attempt: 'disk-full' } }));
    failPutContent();
    let res;
    try {
      res = await raw('PUT', `/v2/${repo}/manifests/disk-full`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    } finally {
      restore();
    }
    expectStorageError(res);
    expect((await client.request('HEAD', `/v2/${repo}/manifests/disk-full`)).status).toBe(404);
    expect((await client.request('HEAD', `/v2/${repo}/manifests/${sha256(manifest)}`)).status).toBe(404);
    expect(await blobFilesOf(server.dataDir, sha256(manifest))).toEqual([]);
    // And once there is space again, the same push works.
    const again = await client.putManifest(repo, 'disk-full', manifest);
    expect(again.status).toBe(201);
    expect(again.headers.get('docker-content-digest')).toBe(sha256(manifest));
  });

  it('after the failures, a full push and pull work', async () => {
    const image = await client.pushImage(repo, 'recovered', { layers: [randomBytes(MiB), randomBytes(1000)] });
    const res = await client.request('GET', `/v2/${repo}/manifests/recovered`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    for (const layer of image.layers) {
      const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(layer)}`);
      expect(Buffer.from(await blob.arrayBuffer()).equals(layer)).toBe(true);
    }
  });
});
