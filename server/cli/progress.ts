import type { TransferEvent } from '../client/transfer.ts';

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
export const size = (n: number): string => (n >= 1048576 ? mib(n) : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const short = (digest: string): string => digest.slice(0, 19);

/**
 * Progress for push, pull and copy on stderr: on a terminal one line redrawn in place (blobs done, a bar, bytes);
 * elsewhere (CI logs) a plain line per blob as it is skipped, mounted or finished, which reads well in a log.
 * `mode` none prints nothing.
 */
export function progressReporter(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, verb: string, mode: 'auto' | 'plain' | 'none' = 'auto'): { onEvent: (e: TransferEvent) => void; finish: () => void } {
  if (mode === 'none') return { onEvent: () => undefined, finish: () => undefined };
  const tty = mode === 'auto' && stream.isTTY === true;
  let blobs = 0;
  let done = 0;
  let total = 0;
  let moved = 0;
  let lastDraw = 0;
  const draw = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const ratio = total > 0 ? Math.min(1, moved / total) : 1;
    const width = 24;
    const filled = Math.round(ratio * width);
    const line = `${verb} ${done}/${blobs} blobs [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${mib(moved)} / ${mib(total)}`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
  };
  return {
    onEvent: (e) => {
      if (e.type === 'plan') {
        blobs = e.blobs;
        total = e.bytes;
        if (!tty) stream.write(`${verb}: ${e.blobs} blobs, ${size(e.bytes)}\n`);
      } else if (e.type === 'bytes') {
        moved += e.bytes;
        if (tty) draw();
      } else if (e.type === 'blob') {
        if (e.status === 'transferring') return;
        done++;
        if (e.status !== 'done') moved += e.size;
        if (tty) draw(true);
        else stream.write(`  ${short(e.digest)} ${size(e.size).padStart(10)}  ${e.status === 'exists' ? 'already there' : e.status === 'mounted' ? `mounted from ${e.from}` : 'done'}\n`);
      } else if (e.type === 'manifest' && !tty) {
        stream.write(`  manifest ${short(e.digest)} -> ${e.reference.startsWith('sha256:') ? short(e.reference) : e.reference}\n`);
      }
    },
    finish: () => {
      if (tty) {
        draw(true);
        stream.write('\n');
      }
    },
  };
}
