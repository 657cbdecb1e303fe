/** A signed-in user (or, later, a robot account). */
export interface UserPrincipal {
  kind: 'user';
  id: number;
  username: string;
  sysadmin: boolean;
}

/** A robot account: it may do exactly what its permission list says, per project (`*`: every project). */
export interface RobotPrincipal {
  kind: 'robot';
  id: number;
  name: string;
  permissions: ReadonlyArray<{ namespace: string; actions: ReadonlySet<string> }>;
}

/**
 * A caller presenting a registry token: what it may do is exactly the token's `access` claim (decided when the
 * token was issued), and `holder` is who it was issued to.
 */
export interface TokenPrincipal {
  kind: 'token';
  holder: UserPrincipal | RobotPrincipal | { kind: 'anonymous' };
  /** repository name -> granted actions (`pull`, `push`, `delete`, `*`). */
  repositories: ReadonlyMap<string, ReadonlySet<string>>;
  catalog: boolean;
  /** Issued by the system to a scanner: its pulls bypass pull enforcement (signatures, vulnerabilities). */
  scanner?: boolean;
}

/** Who is calling. Built once per request by `authenticate` and read by every access decision. */
export type Principal = { kind: 'anonymous' } | UserPrincipal | RobotPrincipal | TokenPrincipal;

export const anonymous: Principal = Object.freeze({ kind: 'anonymous' });

/** The name recorded as the operator of what a principal does. */
export function operatorOf(p: Principal): string {
  const who = p.kind === 'token' ? p.holder : p;
  return who.kind === 'user' ? who.username : who.kind === 'robot' ? who.name : 'anonymous';
}

/** The identity behind a principal, for decisions that are not about a token's grants (catalog filtering). */
export const identityOf = (p: Principal): UserPrincipal | RobotPrincipal | { kind: 'anonymous' } => (p.kind === 'token' ? p.holder : p);
