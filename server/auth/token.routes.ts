import type { Middleware } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { authenticate } from '../http/authenticate.ts';
import { renderError } from '../http/render-error.ts';
import type { BasicAuthenticator } from './basic-auth.ts';
import type { TokenService } from './token.service.ts';

/**
 * GET /service/token: Docker's token protocol. Credentials are optional (no credentials: an anonymous token
 * for public pulls); wrong credentials are a 401. Requested scopes the caller may not have are left out of the
 * token rather than refused.
 */
export function tokenRoutes(deps: { basic: BasicAuthenticator; tokens: TokenService; log: Logger }): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/service/token') return next();
    try {
      if (ctx.method !== 'GET') throw new BerthError('METHOD_NOT_ALLOWED', 'use GET', undefined, { Allow: 'GET' });
      const service = ctx.query.service;
      if (service !== undefined && service !== deps.tokens.service) {
        throw new BerthError('BAD_REQUEST', `this token service issues tokens for "${deps.tokens.service}"`);
      }
      // Only Basic credentials can be exchanged for a token: a token cannot mint a wider one.
      if (/^bearer /i.test(ctx.get('authorization'))) throw new BerthError('UNAUTHORIZED', 'present credentials, not a token');
      const principal = await authenticate(ctx, deps.basic);
      const raw = ctx.query.scope;
      const scopes = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap((s) => s.split(' ')).filter(Boolean).slice(0, 50);
      const issued = await deps.tokens.issue(principal, scopes);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt };
    } catch (err) {
      renderError(ctx, err, 'harbor', deps.log);
    }
  };
}
