import Koa from 'koa';
import { apiRoutes } from './api/api.routes.ts';
import { BerthError } from './core/errors.ts';
import { renderError } from './http/render-error.ts';
import { requestId } from './http/request-id.ts';
import { registryRoutes } from './registry/registry.routes.ts';
import { tokenRoutes } from './auth/token.routes.ts';
import type { Services } from './services.ts';

/** Composes the HTTP application. It never listens, so tests mount it on an ephemeral port. */
export function createApp(services: Services): Koa {
  const app = new Koa({ proxy: false });
  // Errors are rendered by each surface; Koa's default handler would only log what escaped them.
  app.on('error', (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    services.log.warn({ err }, 'response failed');
  });
  app.use(requestId);
  app.use(registryRoutes({ ...services, config: services.config }));
  app.use(tokenRoutes(services));
  for (const middleware of apiRoutes(services)) app.use(middleware);
  app.use(async (ctx) => {
    renderError(ctx, new BerthError('NOT_FOUND', `nothing at ${ctx.path}`), 'harbor', services.log);
  });
  return app;
}
