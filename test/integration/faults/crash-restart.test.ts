import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../../helpers/berth-process.ts';
import { OciTestClient, sha256 } from '../../helpers/oci-client.ts';
import { blobFilesOf, uploadDataFile, uploadIds } from '../storage-files.ts';
import { adminAuth, MiB, requestHead, waitFor } from './helpers.ts';

/**
 * The process dies mid-upload (SIGKILL, twice). The registry must never show a partial blob, must start again on
 * the same data, and must let the client resume or repeat what was cut off.
 */

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => -1,
  );
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
    const dataFile = uploadDataFile(dataDir, sessionId, repo);
    await waitFor('the third chunk to reach the disk', async () => ((await fileSize(dataFile)) > 2 * chunk + 256 * 1024 ? true : undefined));
    await proc!.kill('SIGKILL');
    upload.stop();
    expect(upload.sent()).toBeLessThan(rest.length);
    expect(proc!.child.signalCode).toBe('SIGKILL');
  });

  it('restarts on the same data directory and dies in the middle of a monolithic POST', async () => {
    await start();
    const before = new Set(await uploadIds(dataDir));
    const upload = trickle(
      proc!.port,
      requestHead('POST', `/v2/${repo}/blobs/uploads/?digest=${monoDigest}`, proc!.port, {
        'content-type': 'application/octet-stream',
        'content-length': String(mono.length),
      }),
      mono,
    );
    await waitFor('the monolithic body to reach the disk', async () => {
      for (const id of await uploadIds(dataDir)) {
        if (!before.has(id) && (await fileSize(uploadDataFile(dataDir, id))) > 256 * 1024) return true;
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
