import type { PullGuard } from '../promotion/pull-guard.ts';
import type { Context } from 'koa';
import type { BerthConfig } from '../config/config.schema.ts';
import type { Logger } from '../core/logger.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { BasicAuthenticator } from '../auth/basic-auth.ts';
import type { TokenService } from '../auth/token.service.ts';
import type { Principal } from '../auth/principal.ts';
import type { BufferPool } from '../http/send-file.ts';
import type { ProjectRef, ProjectsService } from '../projects/projects.service.ts';
import type { BlobService } from './blob.service.ts';
import type { CatalogService } from './catalog.service.ts';
import type { ManifestService } from './manifest.service.ts';
import type { RepositoryName } from './names.ts';
import type { EventBus } from '../events/event-bus.ts';

export interface RegistryDeps {
  config: Readonly<BerthConfig>;
  log: Logger;
  basic: BasicAuthenticator;
  projects: ProjectsService;
  access: AccessPolicy;
  tokens: TokenService;
  blobs: BlobService;
  manifests: ManifestService;
  catalog: CatalogService;
  /** Read buffers reused across blob downloads. */
  readBuffers: BufferPool;
  events: EventBus;
  /** Pull enforcement (signature verification, vulnerability prevention); absent, nothing is enforced. */
  pullGuard?: PullGuard;
}

/** A /v2 request after authentication and authorization: handlers get everything already checked. */
export interface RepoRequest {
  ctx: Context;
  name: RepositoryName;
  project: ProjectRef;
  principal: Principal;
  deps: RegistryDeps;
}
