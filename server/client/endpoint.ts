/** Where a Berth (or any OCI registry) is and who to be there. */
export interface Credentials {
  username: string;
  password: string;
}

export interface Endpoint {
  /** The origin, `https://registry.example.com` or `http://127.0.0.1:5000`. */
  url: string;
  credentials?: Credentials;
  /** Sent as User-Agent, so the server's logs say which tool called. */
  userAgent?: string;
}

const loopback = (hostname: string): boolean => hostname === 'localhost' || hostname.startsWith('127.') || hostname === '[::1]' || hostname === '::1';

/**
 * The origin for a registry host as image references name it (`host:port`). HTTPS unless told otherwise; plain
 * HTTP for loopback addresses, as docker and podman treat them, or when `plainHttp` says so. A full URL is kept.
 */
export function originOf(hostOrUrl: string, plainHttp = false): string {
  if (/^https?:\/\//.test(hostOrUrl)) return new URL(hostOrUrl).origin;
  const { hostname } = new URL(`http://${hostOrUrl}`);
  return `${plainHttp || loopback(hostname) ? 'http' : 'https'}://${hostOrUrl}`;
}

/** `host:port` of an origin, as auth files and image references name a registry. */
export const hostOf = (url: string): string => new URL(url).host;

export const basicAuth = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
