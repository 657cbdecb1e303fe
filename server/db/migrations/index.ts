import type { Knex } from 'knex';
import * as m001 from './001-registry-core.ts';
import * as m002 from './002-project-members.ts';
import * as m003 from './003-robots.ts';
import * as m004 from './004-artifact-management.ts';
import * as m005 from './005-artifact-views.ts';
import * as m006 from './006-quotas-immutability.ts';
import * as m007 from './007-webhook-delivery-indexes.ts';
import * as m008 from './008-promotion.ts';
import * as m009 from './009-scanning.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations in order. Listed explicitly so they work the same from source (tsx) and from a bundle. Never edit a landed one. */
const migrations: Array<[string, Migration]> = [
  ['001-registry-core', m001],
  ['002-project-members', m002],
  ['003-robots', m003],
  ['004-artifact-management', m004],
  ['005-artifact-views', m005],
  ['006-quotas-immutability', m006],
  ['007-webhook-delivery-indexes', m007],
  ['008-promotion', m008],
  ['009-scanning', m009],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
