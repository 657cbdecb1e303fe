import type { BerthConfig } from '../config/config.schema.ts';
import { BerthError } from '../core/errors.ts';
import { Lru } from '../core/lru.ts';
import { parseRepositoryName } from '../registry/names.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import type { AccessPolicy, RepositoryAction } from './access.ts';
import { JwtError, newJwtId, signJwt, verifyJwt, type SigningKey } from './jwt.ts';
import { identityOf, type Principal, type RobotPrincipal, type TokenPrincipal, type UserPrincipal } from './principal.ts';
import { parseScope } from './scope.ts';

const issuer = 'berth-token-issuer';
/** Tokens issued a little in the future or just expired still verify: clocks of several nodes drift. */
const leewaySeconds = 30;

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

/**
 * Docker's token service (`/service/token`) and the verification of its tokens on /v2. A token's `access` claim
 * holds only what the caller may do: requested actions the permission table refuses are left out, never
 * answered with 403. Verified tokens are cached until they expire, so a /v2 request with a token costs no
 * signature check once warm.
 */
export class TokenService {
  private readonly verified = new Lru<string, { principal: TokenPrincipal; exp: number }>(50_000);

  constructor(
    private readonly key: SigningKey,
    private readonly config: Readonly<BerthConfig>['token'],
    private readonly projects: ProjectsService,
    private readonly access: AccessPolicy,
  ) {}

  get service(): string {
    return this.config.service;
  }

  async issue(principal: Principal, scopes: string[]): Promise<IssuedToken> {
    const holder = identityOf(principal);
    const access: AccessEntry[] = [];
    for (const raw of scopes) {
      const scope = parseScope(raw);
      if (!scope) continue;
      const granted = await this.grant(holder, scope.type, scope.name, scope.actions);
      if (granted.length) access.push({ type: scope.type, name: scope.name, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.config.ttlMinutes * 60;
    const claims = {
      iss: issuer,
      sub: holder.kind === 'user' ? holder.username : holder.kind === 'robot' ? holder.name : '',
      aud: this.config.service,
      exp: now + ttl,
      nbf: now - 1,
      iat: now,
      jti: newJwtId(),
      access,
      // Who the token was issued to, so the registry can filter the catalog without a query.
      berth: holder.kind === 'user' ? { uid: holder.id, adm: holder.sysadmin } : null,
    };
    return { token: signJwt(this.key, claims), expiresIn: ttl, issuedAt: new Date(now * 1000).toISOString() };
  }

  /**
   * A short-lived pull-only token for a scanner: the system issues it (there is no endpoint that does), and pulls
   * made with it bypass pull enforcement, as the scanner must read the images that enforcement refuses.
   */
  issueScannerToken(repository: string, ttlSeconds = 900): IssuedToken {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: 'berth-scanner',
      aud: this.config.service,
      exp: now + ttlSeconds,
      nbf: now - 1,
      iat: now,
      jti: newJwtId(),
      access: [{ type: 'repository', name: repository, actions: ['pull'] }],
      berth: { scanner: true },
    };
    return { token: signJwt(this.key, claims), expiresIn: ttlSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }

  /** The actions of one scope the holder may have. */
  private async grant(holder: UserPrincipal | RobotPrincipal | { kind: 'anonymous' }, type: string, name: string, actions: string[]): Promise<string[]> {
    if (type === 'registry' && name === 'catalog') return actions.includes('*') ? ['*'] : [];
    if (type !== 'repository') return [];
    let repo;
    try {
      repo = parseRepositoryName(name);
    } catch {
      return [];
    }
    const project = await this.projects.findByName(repo.project);
    if (!project) return [];
    const granted: string[] = [];
    for (const action of new Set(actions)) {
      const needed: RepositoryAction | undefined = action === 'pull' ? 'pull' : action === 'push' ? 'push' : action === 'delete' || action === '*' ? 'delete' : undefined;
      if (needed && (await this.access.canRepository(holder, project, repo.full, needed))) granted.push(action);
    }
    return granted;
  }

  /** The principal a bearer token stands for; UNAUTHORIZED when it is forged, expired or meant for another service. */
  verify(token: string): TokenPrincipal {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp + leewaySeconds >= now) return hit.principal;
      this.verified.delete(token);
    }
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(this.key, token);
    } catch (err) {
      throw new BerthError('UNAUTHORIZED', err instanceof JwtError ? err.message : 'invalid token');
    }
    const exp = Number(claims.exp);
    const nbf = Number(claims.nbf ?? 0);
    if (!Number.isFinite(exp) || exp + leewaySeconds < now) throw new BerthError('UNAUTHORIZED', 'token expired');
    if (nbf - leewaySeconds > now) throw new BerthError('UNAUTHORIZED', 'token not valid yet');
    if (claims.iss !== issuer) throw new BerthError('UNAUTHORIZED', 'token from an unknown issuer');
    const aud = claims.aud;
    if (!(aud === this.config.service || (Array.isArray(aud) && aud.includes(this.config.service)))) {
      throw new BerthError('UNAUTHORIZED', 'token meant for another service');
    }
    const principal = toPrincipal(claims);
    this.verified.set(token, { principal, exp });
    return principal;
  }
}

function toPrincipal(claims: Record<string, unknown>): TokenPrincipal {
  const repositories = new Map<string, Set<string>>();
  let catalog = false;
  for (const entry of Array.isArray(claims.access) ? (claims.access as AccessEntry[]) : []) {
    if (!entry || !Array.isArray(entry.actions)) continue;
    if (entry.type === 'registry' && entry.name === 'catalog') catalog ||= entry.actions.includes('*');
    if (entry.type === 'repository' && typeof entry.name === 'string') {
      const set = repositories.get(entry.name) ?? new Set<string>();
      for (const a of entry.actions) if (typeof a === 'string') set.add(a);
      repositories.set(entry.name, set);
    }
  }
  const b = claims.berth as { uid?: unknown; adm?: unknown; scanner?: unknown } | null | undefined;
  const holder: TokenPrincipal['holder'] =
    b && typeof b.uid === 'number' && typeof claims.sub === 'string'
      ? { kind: 'user', id: b.uid, username: claims.sub, sysadmin: b.adm === true }
      : { kind: 'anonymous' };
  return { kind: 'token', holder, repositories, catalog, ...(b?.scanner === true ? { scanner: true } : {}) };
}
