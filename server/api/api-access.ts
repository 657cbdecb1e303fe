import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { BasicAuthenticator } from '../auth/basic-auth.ts';
import { anonymous, type Principal, type UserPrincipal } from '../auth/principal.ts';

/**
 * Who calls the management API: Basic credentials or nobody. Registry tokens are for /v2 only (they carry
 * repository grants, not a login), so a Bearer header here is a 401.
 */
export async function apiPrincipal(ctx: Context, basic: BasicAuthenticator): Promise<Principal> {
  const header = ctx.get('authorization');
  if (!header) return anonymous;
  if (/^basic /i.test(header)) return basic.authenticate(header, ctx.ip);
  throw new BerthError('UNAUTHORIZED', 'the management API takes Basic credentials; registry tokens are valid on /v2 only');
}

/** The signed-in user; 401 for anonymous callers. */
export function requireUser(ctx: Context): UserPrincipal {
  const p = ctx.state.principal as Principal;
  if (p.kind === 'robot') throw new BerthError('DENIED', 'robot accounts cannot use this endpoint');
  if (p.kind !== 'user') throw new BerthError('UNAUTHORIZED', 'sign in first');
  return p;
}

/** A system administrator; 401 for anonymous callers, 403 for everyone else. */
export function requireSysadmin(ctx: Context): UserPrincipal {
  const user = requireUser(ctx);
  if (!user.sysadmin) throw new BerthError('DENIED', 'only system administrators may do this');
  return user;
}

/** A numeric path parameter. */
export function idParam(ctx: Context, name: string): number {
  const raw = (ctx.params as Record<string, string>)[name];
  if (!raw || !/^\d{1,9}$/.test(raw)) throw new BerthError('BAD_REQUEST', `${name} must be a positive integer`);
  return Number(raw);
}
