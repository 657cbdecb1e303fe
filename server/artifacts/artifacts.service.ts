import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import type { LabelRow } from '../labels/labels.repo.ts';
import type { LabelsService } from '../labels/labels.service.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { ManifestService } from '../registry/manifest.service.ts';
import { manifestKindOf } from '../registry/media-types.ts';
import { parseReference, requireTag } from '../registry/names.ts';
import { accessoriesRepo, type AccessoryRow } from './accessories.repo.ts';
import { imageExtraAttrs, type ArtifactConfigReader } from './artifact-config.ts';
import type { ArtifactOptions } from './artifact-query.ts';
import { artifactKind, type ArtifactKind } from './artifact-type.ts';
import { artifactViewsRepo, type ArtifactFilter, type ArtifactViewRow, type ChildReference, type TagRow } from './artifact-views.repo.ts';
import type { Operator } from '../core/actor.ts';

/**
 * The scan overview of artifacts (Harbor's `scan_overview`: report MIME type -> NativeReportSummary), by artifact
 * id, from the scanning domain. Artifacts never scanned have none.
 */
export interface ScanOverviewProvider {
  overviews(artifacts: Array<{ id: number; digest: string }>): Promise<Map<number, Record<string, unknown>>>;
}

/** Which of `tags` are immutable in a repository (its full name, `<project>/<repo>`): the immutability rules' answer. */
export type ImmutableTagsLookup = (projectId: number, repository: string, tags: string[]) => Promise<Set<string>>;

export interface ArtifactSeams {
  scanOverview?: ScanOverviewProvider;
  immutableTags?: ImmutableTagsLookup;
}

/** An artifact with everything its Harbor representation shows. */
export interface ArtifactDetails {
  artifact: ArtifactViewRow;
  kind: ArtifactKind;
  /** For indexes: the manifest plus its children, as Harbor counts it; otherwise the stored size. */
  size: number;
  references: ChildReference[] | undefined;
  extraAttrs: Record<string, unknown>;
  tags?: TagRow[];
  immutableTags: Set<string>;
  labels?: LabelRow[];
  accessories?: AccessoryRow[];
  scanOverview?: Record<string, unknown>;
}

const group = <T, K>(items: T[], key: (t: T) => K): Map<K, T[]> => {
  const out = new Map<K, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
};

const kindOf = (a: ArtifactViewRow): ArtifactKind =>
  artifactKind({ manifestMediaType: a.media_type, configMediaType: a.config_media_type, artifactType: a.artifact_type, annotations: a.annotations });

/**
 * The artifacts of repositories as the management API shows and changes them. Reads are paginated in the database;
 * every change of a manifest or tag goes through ManifestService, so the registry caches, quotas and tag
 * immutability apply exactly as on /v2.
 */
export class ArtifactsService {
  constructor(
    private readonly db: Knex,
    private readonly manifests: ManifestService,
    private readonly labels: LabelsService,
    private readonly configs: ArtifactConfigReader,
    private readonly seams: ArtifactSeams = {},
  ) {}

  /** An artifact of the repository by tag or digest: 400 for a malformed reference, 404 when there is none. */
  async resolve(repository: { id: number; name: string }, reference: string): Promise<ArtifactViewRow> {
    const ref = parseReference(reference);
    const row = ref.kind === 'digest' ? await artifactViewsRepo.byDigest(this.db, repository.id, ref.digest) : await artifactViewsRepo.byTag(this.db, repository.id, ref.tag);
    if (!row) throw new BerthError('NOT_FOUND', `artifact ${reference.slice(0, 200)} not found in ${repository.name}`);
    return row;
  }

  page(filter: ArtifactFilter, opts: { sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return artifactViewsRepo.page(this.db, filter, opts);
  }

  /** Assembles what the options ask for, a few queries for a whole page (never one per artifact). */
  async details(rows: ArtifactViewRow[], options: ArtifactOptions): Promise<ArtifactDetails[]> {
    const ids = rows.map((r) => r.id);
    const indexIds = rows.filter((r) => manifestKindOf(r.media_type) === 'index').map((r) => r.id);
    const [references, tags, labels, accessories, overviews] = await Promise.all([
      artifactViewsRepo.references(this.db, indexIds).then((all) => group(all, (c) => c.parent_id)),
      options.withTag ? artifactViewsRepo.tagsOf(this.db, ids).then((all) => group(all, (t) => t.artifact_id)) : undefined,
      options.withLabel ? this.labels.ofArtifacts(ids) : undefined,
      options.withAccessory ? accessoriesRepo.of(this.db, ids).then((all) => group(all, (a) => a.subject_id)) : undefined,
      options.withScanOverview && this.seams.scanOverview ? this.seams.scanOverview.overviews(rows) : undefined,
    ]);
    return Promise.all(
      rows.map(async (artifact) => {
        const kind = kindOf(artifact);
        const refs = manifestKindOf(artifact.media_type) === 'index' ? (references.get(artifact.id) ?? []) : undefined;
        const artifactTags = tags ? (tags.get(artifact.id) ?? []) : undefined;
        return {
          artifact,
          kind,
          size: artifact.size + (refs ?? []).reduce((sum, c) => sum + c.child_size, 0),
          references: refs,
          extraAttrs: await this.extraAttrs(artifact, kind),
          tags: artifactTags,
          immutableTags: options.withImmutableStatus && artifactTags?.length ? await this.immutable(artifact, artifactTags) : new Set<string>(),
          labels: labels ? (labels.get(artifact.id) ?? []) : undefined,
          accessories: accessories ? (accessories.get(artifact.id) ?? []) : undefined,
          scanOverview: overviews?.get(artifact.id),
        };
      }),
    );
  }

  private async immutable(artifact: ArtifactViewRow, tags: TagRow[]): Promise<Set<string>> {
    return this.immutableAmong(artifact, tags.map((t) => t.name));
  }

  /** Which of the artifact's tag names the project's immutability rules protect. */
  async immutableAmong(artifact: ArtifactViewRow, names: string[]): Promise<Set<string>> {
    return this.immutableIn({ project_id: artifact.project_id, name: artifact.repository_name }, names);
  }

  /** Which of `names`, tags of the repository, the project's immutability rules protect. */
  async immutableIn(repo: { project_id: number; name: string }, names: string[]): Promise<Set<string>> {
    if (!this.seams.immutableTags || names.length === 0) return new Set();
    return this.seams.immutableTags(repo.project_id, repo.name, names);
  }

  /**
   * Harbor's `extra_attrs`: for images the platform, container config, creation time and author; for other typed
   * artifacts (charts, CNAB, vendor types) their whole config; nothing for indexes and unknown artifacts.
   */
  private async extraAttrs(a: ArtifactViewRow, kind: ArtifactKind): Promise<Record<string, unknown>> {
    if (manifestKindOf(a.media_type) !== 'image' || kind === 'UNKNOWN') return {};
    const config = await this.configs.read(a.config_digest);
    if (!config) return {};
    return kind === 'IMAGE' ? imageExtraAttrs(config) : config;
  }

  /** The build history of an image (its config's `history`); other artifacts have none (400, as in Harbor). */
  async buildHistory(a: ArtifactViewRow): Promise<unknown[]> {
    const kind = kindOf(a);
    if (kind !== 'IMAGE' || manifestKindOf(a.media_type) !== 'image') throw new BerthError('BAD_REQUEST', `addition build_history isn't supported for ${kind}${kind === 'IMAGE' ? ' indexes' : ''}`);
    const config = await this.configs.read(a.config_digest);
    return Array.isArray(config?.history) ? config.history : [];
  }

  tags(artifact: ArtifactViewRow, opts: { terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return artifactViewsRepo.tagsPage(this.db, artifact.id, opts);
  }

  accessories(artifact: ArtifactViewRow, opts: { offset: number; limit: number }) {
    return accessoriesRepo.page(this.db, artifact.id, opts);
  }

  /** Adds a tag (ManifestService.addTag): 409 when the repository has it already. */
  async addTag(project: ProjectRef, artifact: ArtifactViewRow, tag: string, operator: Operator): Promise<void> {
    await this.manifests.addTag(artifact.repository_name, project, artifact.digest, requireTag(tag), operator);
  }

  /** Removes a tag of this artifact through ManifestService.delete (so immutability applies); 404 when it has no such tag. */
  async deleteTag(project: ProjectRef, artifact: ArtifactViewRow, tag: string, operator: Operator): Promise<void> {
    const row = await artifactViewsRepo.tag(this.db, artifact.repository_id, requireTag(tag));
    if (!row || row.artifact_id !== artifact.id) throw new BerthError('NOT_FOUND', `tag ${tag} is not attached to artifact ${artifact.digest}`);
    await this.manifests.delete(artifact.repository_name, project, { kind: 'tag', tag }, operator);
  }

  /**
   * Deletes an artifact as Harbor does: its accessories first (they belong to it), then the artifact and its tags,
   * then the children of an index that no tag and no other index keep. An artifact an index names is refused (412).
   * Returns how many artifacts went.
   */
  async delete(project: ProjectRef, artifact: ArtifactViewRow, operator: Operator): Promise<number> {
    const parents = await artifactViewsRepo.parents(this.db, artifact.repository_id, artifact.digest);
    if (parents.length) throw new BerthError('PRECONDITION', `the artifact is part of index ${parents[0]}; delete the index first`);
    return this.deleteDeep(project, { id: artifact.repository_id, name: artifact.repository_name }, artifact.digest, operator, true, new Set());
  }

  private async deleteDeep(project: ProjectRef, repo: { id: number; name: string }, digest: string, operator: Operator, isRoot: boolean, seen: Set<string>): Promise<number> {
    // Tag-named accessories could point at each other; every digest is visited once.
    if (seen.has(digest)) return 0;
    seen.add(digest);
    const row = await artifactViewsRepo.byDigest(this.db, repo.id, digest);
    if (!row) return 0;
    if (!isRoot) {
      if ((await artifactViewsRepo.tagsOf(this.db, [row.id])).length) return 0;
      if ((await artifactViewsRepo.parents(this.db, repo.id, digest)).length) return 0;
    }
    let deleted = 0;
    for (const accessory of await accessoriesRepo.of(this.db, [row.id])) {
      const kept = (await artifactViewsRepo.parents(this.db, repo.id, accessory.digest)).length > 0;
      if (!kept) deleted += await this.deleteDeep(project, repo, accessory.digest, operator, true, seen);
    }
    const children = manifestKindOf(row.media_type) === 'index' ? await artifactViewsRepo.references(this.db, [row.id]) : [];
    try {
      await this.manifests.delete(repo.name, project, { kind: 'digest', digest }, operator);
      deleted++;
    } catch (err) {
      // Gone meanwhile (a concurrent delete) is what was asked for; anything else (an immutable tag) stops here.
      if (!(err instanceof BerthError && err.code === 'MANIFEST_UNKNOWN')) throw err;
    }
    for (const child of children) deleted += await this.deleteDeep(project, repo, child.child_digest, operator, false, seen);
    return deleted;
  }
}
