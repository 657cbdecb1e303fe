import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { BasicAuthenticator } from '../auth/basic-auth.ts';
import { anonymous, type Principal } from '../auth/principal.ts';

/**
 * Works out who is calling from the Authorization header. No header means anonymous (what anonymous may do is
 * the access policy's call); a header that does not verify is always a 401, never a silent downgrade.
 */
export async function authenticate(ctx: Context, basic: BasicAuthenticator): Promise<Principal> {
  const header = ctx.get('authorization');
  if (!header) return anonymous;
  if (/^basic /i.test(header)) return basic.authenticate(header);
  throw new BerthError('UNAUTHORIZED', 'unsupported authorization scheme; use Basic credentials');
}
