// Workloads 1-3: large-blob push (monolithic and chunked) and pull (1 and N streams).
import { createHash } from 'node:crypto';
import { HttpConn } from './http-client.ts';
import type { Blob } from './data.ts';
import { BenchError, blobExists, expectStatus, pullBlob, pushChunked, pushMonolithic } from './registry.ts';
import type { Target } from './servers.ts';
import { MiB, measure } from './workload.ts';
import type { Workload } from './workload.ts';

/** After a push: the blob must exist with the right size. */
async function verifyStored(c: HttpConn, t: Target, b: Blob): Promise<void> {
  const r = await c.request({ method: 'HEAD', path: `/v2/${t.repo}/blobs/${b.digest}`, headers: t.pullHeaders });
  expectStatus(r, [200], `HEAD pushed blob (${t.label})`);
  const len = Number(r.headers['content-length']);
  if (len !== b.data.length) throw new BenchError(`HEAD pushed blob: Content-Length ${len}, expected ${b.data.length}`);
}

const sizeLabel = (n: number) => `${Math.round(n / MiB)} MiB`;

export const pushMono: Workload = {
  id: 'push-mono',
  title: 'push blob monolithic',
  async run(t, { data }) {
    const c = new HttpConn(t.port);
    try {
      const m = await measure(t, () => pushMonolithic(c, t, data.big));
      await verifyStored(c, t, data.big);
      return [{
        id: 'push-mono', label: `push ${sizeLabel(data.big.data.length)} monolithic`, unit: 'MiB/s', better: 'higher',
        value: data.big.data.length / MiB / m.wallS, cpuS: m.cpuS,
      }];
    } finally {
      c.close();
    }
  },
};

export const pushChunkedWl: Workload = {
  id: 'push-chunked',
  title: 'push blob chunked',
  async run(t, { data, opts }) {
    const c = new HttpConn(t.port);
    try {
      const b = data.bigChunked;
      const m = await measure(t, () => pushChunked(c, t, b, opts.chunkSize));
      await verifyStored(c, t, b);
      return [{
        id: 'push-chunked', label: `push ${sizeLabel(b.data.length)} chunked ${sizeLabel(opts.chunkSize)}`, unit: 'MiB/s',
        better: 'higher', value: b.data.length / MiB / m.wallS, cpuS: m.cpuS,
      }];
    } finally {
      c.close();
    }
  },
};

export const pull: Workload = {
  id: 'pull',
  title: 'pull blob',
  async run(t, { data, opts }) {
    const b = data.big;
    const size = b.data.length;
    const c = new HttpConn(t.port);
    try {
      // Self-contained (--only=pull): push the blob untimed if an earlier workload did not.
      if (!(await blobExists(c, t, b.digest))) await pushMonolithic(c, t, b);
      // Untimed correctness pass: full content hash. Timed passes below only count bytes.
      const h = createHash('sha256');
      await pullBlob(c, t, b.digest, (chunk) => h.update(chunk));
      if ('sha256:' + h.digest('hex') !== b.digest) throw new BenchError(`GET blob (${t.label}): content digest mismatch`);

      const one = await measure(t, () => pullBlob(c, t, b.digest, () => {}));
      if (one.result !== size) throw new BenchError(`GET blob (${t.label}): ${one.result} bytes, expected ${size}`);

      const conns = Array.from({ length: opts.pullStreams }, () => new HttpConn(t.port));
      try {
        const many = await measure(t, () => Promise.all(conns.map((cc) => pullBlob(cc, t, b.digest, () => {}))));
        for (const n of many.result) if (n !== size) throw new BenchError(`parallel GET blob (${t.label}): ${n} bytes, expected ${size}`);
        return [
          { id: 'pull-1', label: `pull ${sizeLabel(size)}, 1 stream`, unit: 'MiB/s', better: 'higher', value: size / MiB / one.wallS, cpuS: one.cpuS },
          {
            id: 'pull-n', label: `pull ${sizeLabel(size)}, ${opts.pullStreams} streams`, unit: 'MiB/s', better: 'higher',
            value: (size * opts.pullStreams) / MiB / many.wallS, cpuS: many.cpuS, note: 'aggregate',
          },
        ];
      } finally {
        for (const cc of conns) cc.close();
      }
    } finally {
      c.close();
    }
  },
};
