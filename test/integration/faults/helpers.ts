import { formatHead } from '../../helpers/raw-http.ts';
import { adminPassword } from '../../helpers/test-server.ts';

/**
 * Shared by the fault suites beside this file: the admin's credentials, the head of a hand-written request, and
 * polling for a state the server reaches on its own time.
 */

export const adminAuth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
export const MiB = 1024 * 1024;

export { waitFor } from '../../helpers/wait.ts';

/** The head of a request to 127.0.0.1:`port` with the admin's credentials, followed by `headers`. */
export const requestHead = (method: string, target: string, port: number, headers: Record<string, string>): string =>
  formatHead(method, target, { host: `127.0.0.1:${port}`, authorization: adminAuth, ...headers });
