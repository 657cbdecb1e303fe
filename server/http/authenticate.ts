import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { BasicAuthenticator } from '../auth/basic-auth.ts';
import { anonymous, type Principal } from '../auth/principal.ts';
import type { TokenService } from '../auth/token.service.ts';

/**
 * Works out who is calling from the Authorization header: Basic credentials, a registry bearer token, or
 * nobody (anonymous; what anonymous may do is the access policy's call). A header that does not verify is
 * always a 401, never a silent downgrade to anonymous.
 */
export async function authenticate(ctx: Context, basic: BasicAuthenticator, tokens?: TokenService): Promise<Principal> {
  const header = ctx.get('authorization');
  if (!header) return anonymous;
  if (/^basic /i.test(header)) return basic.authenticate(header, ctx.ip);
  if (tokens && /^bearer /i.test(header)) return tokens.verify(header.slice(7).trim());
  throw new BerthError('UNAUTHORIZED', 'unsupported authorization scheme');
}
