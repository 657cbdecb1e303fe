// Workload 6: many small images (1 KiB layer + config + OCI manifest) pushed by
// a fixed pool of keep-alive connections, like a CI fleet pushing builds.
import { HttpConn } from './http-client.ts';
import type { Image } from './data.ts';
import { OCI_MANIFEST } from './data.ts';
import { BenchError, expectStatus, pushImage } from './registry.ts';
import type { Target } from './servers.ts';
import { measure } from './workload.ts';
import type { Workload } from './workload.ts';

async function pushAll(t: Target, images: Image[], concurrency: number): Promise<void> {
  let next = 0;
  const conns = Array.from({ length: concurrency }, () => new HttpConn(t.port));
  try {
    // Each worker takes the next image index; the loop is bounded by images.length.
    await Promise.all(conns.map(async (c) => {
      for (let i = next++; i < images.length; i = next++) await pushImage(c, t, images[i]!);
    }));
  } finally {
    for (const c of conns) c.close();
  }
}

/** Spot-check: first and last image resolve by tag to the manifest we pushed. */
async function verify(t: Target, images: Image[]): Promise<void> {
  const c = new HttpConn(t.port);
  try {
    for (const img of [images[0], images[images.length - 1]]) {
      if (!img) continue;
      const r = await c.request({
        method: 'GET', path: `/v2/${t.repo}/manifests/${img.tag}`, headers: { ...t.pullHeaders, accept: OCI_MANIFEST },
      });
      expectStatus(r, [200], `GET manifest ${img.tag} (${t.label})`);
      if (!r.body.equals(img.manifest.data)) throw new BenchError(`GET manifest ${img.tag} (${t.label}): body differs from pushed bytes`);
    }
  } finally {
    c.close();
  }
}

export const images: Workload = {
  id: 'images',
  title: 'push small images',
  async run(t, { data, opts }) {
    const m = await measure(t, () => pushAll(t, data.images, opts.imageConcurrency));
    await verify(t, data.images);
    return [{
      id: 'images', label: `push ${data.images.length} small images, conc ${opts.imageConcurrency}`, unit: 'images/s',
      better: 'higher', value: data.images.length / m.wallS, cpuS: m.cpuS,
    }];
  },
};
