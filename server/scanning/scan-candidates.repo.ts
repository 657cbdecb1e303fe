import type { ArtifactRow, Queryable } from '../db/types.ts';

export type ScanCandidate = Pick<ArtifactRow, 'id' | 'digest' | 'media_type' | 'config_media_type' | 'artifact_type' | 'annotations'> & {
  repository: string;
  project_id: number;
  project_name: string;
  public: boolean;
};

/** What scan-all walks: artifacts with their repository and project, a page at a time by id. */
export const scanCandidatesRepo = {
  /**
   * Top-level artifacts after `afterId`: an index's children are scanned with their index, and attachments (a
   * `subject`) have nothing to scan.
   */
  async page(db: Queryable, afterId: number, limit: number): Promise<ScanCandidate[]> {
    return db('artifacts as a')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .join('projects as p', 'p.id', 'a.project_id')
      .whereNull('a.subject_digest')
      .where('a.id', '>', afterId)
      .whereNotExists(db('artifact_children as c').join('artifacts as pa', 'pa.id', 'c.parent_id').whereRaw('pa.repository_id = a.repository_id and c.child_digest = a.digest'))
      .orderBy('a.id')
      .limit(limit)
      .select<ScanCandidate[]>('a.id', 'a.digest', 'a.media_type', 'a.config_media_type', 'a.artifact_type', 'a.annotations', 'r.name as repository', 'p.id as project_id', 'p.name as project_name', 'p.public');
  },
};
