import type { TestServer } from './test-server.ts';

/** An HTTP Basic `Authorization` header value. */
export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export type ApiCall = (method: string, path: string, body?: unknown, auth?: string | null, headers?: Record<string, string>) => Promise<Response>;

/**
 * Calls `/api/v2.0` on a test server with JSON bodies. `auth` defaults to `defaultAuth` (the administrator unless
 * given); pass null for an anonymous call.
 */
export function apiClient(server: TestServer, defaultAuth: string | null = server.adminAuth): ApiCall {
  return (method, path, body, auth = defaultAuth, headers = {}) =>
    fetch(`${server.url}/api/v2.0${path}`, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

/** The first error code of a Harbor error envelope. */
export async function apiErrorCode(res: Response): Promise<string> {
  return ((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code;
}
