import type { Knex } from 'knex';

/** Either the database or an open transaction: repositories accept both so services decide the boundaries. */
export type Queryable = Knex | Knex.Transaction;

export interface ProjectRow {
  id: number;
  name: string;
  public: boolean;
  owner_id: number | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface UserRow {
  id: number;
  username: string;
  email: string | null;
  realname: string | null;
  comment: string | null;
  password_hash: string;
  sysadmin: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface RepositoryRow {
  id: number;
  project_id: number;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export interface ArtifactRow {
  id: number;
  repository_id: number;
  project_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  config_media_type: string | null;
  config_digest: string | null;
  manifest_size: number;
  size: number;
  annotations: Record<string, string> | null;
  subject_digest: string | null;
  push_time: Date;
  pull_time: Date | null;
}
