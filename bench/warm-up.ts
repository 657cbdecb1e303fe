// An unmeasured pass over the blob paths, applied identically to every target before the measured workloads.
import { HttpConn } from './http-client.ts';
import { randomBlob } from './data.ts';
import { pullBlob, pushChunked, pushMonolithic } from './registry.ts';
import type { Target } from './servers.ts';

const MiB = 1024 * 1024;

export async function warmUp(t: Target): Promise<void> {
  const c = new HttpConn(t.port);
  try {
    for (let i = 0; i < 3; i++) {
      const mono = randomBlob(32 * MiB);
      await pushMonolithic(c, t, mono);
      await pushChunked(c, t, randomBlob(32 * MiB), 8 * MiB);
      await pullBlob(c, t, mono.digest, () => undefined);
    }
  } finally {
    c.close();
  }
}
