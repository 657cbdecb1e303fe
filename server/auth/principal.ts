/** Who is calling. Built once per request by `authenticate` and read by every access decision. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: number; username: string; sysadmin: boolean };

export const anonymous: Principal = Object.freeze({ kind: 'anonymous' });
