// Runs PGlite on its own thread. PGlite executes PostgreSQL compiled to WebAssembly, synchronously, on the thread
// that owns it; on the main thread every statement (a millisecond or two for a manifest push) would stall all
// HTTP traffic. Here it uses the second core instead. The main thread talks to it through pglite-thread.ts.
//
// Plain JavaScript on purpose: a worker does not inherit the TypeScript loader of tsx or of the test runner.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = parentPort;
/** @type {{ dataDir?: string, snapshot?: ArrayBuffer }} */
const init = workerData;

/** The fields of a PostgreSQL error worth keeping across the thread boundary (structured clone drops them). */
function serializeError(err) {
  const out = { message: String(err?.message ?? err), name: err?.name };
  for (const key of ['code', 'detail', 'hint', 'constraint', 'table', 'column', 'schema', 'severity', 'errno']) {
    if (err?.[key] !== undefined) out[key] = err[key];
  }
  return out;
}

let db;
try {
  db = init.snapshot ? new PGlite({ loadDataDir: new Blob([init.snapshot]) }) : new PGlite(init.dataDir);
  await db.waitReady;
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: serializeError(err) });
}

port.on('message', async (req) => {
  try {
    let result = null;
    if (req.op === 'query') result = await db.query(req.sql, req.params, req.options);
    else if (req.op === 'exec') result = await db.exec(req.sql);
    else if (req.op === 'dump') result = await (await db.dumpDataDir('gzip')).arrayBuffer();
    else if (req.op === 'close') await db.close();
    port.postMessage({ id: req.id, ok: true, result });
    if (req.op === 'close') port.close();
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: serializeError(err) });
  }
});
