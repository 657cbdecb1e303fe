import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import type { ArtifactViewRow } from '../artifacts/artifact-views.repo.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { labelsRepo, type LabelInput, type LabelRow } from './labels.repo.ts';
import type { Operator } from '../core/actor.ts';

/**
 * Harbor's labels: global ones (scope `g`, kept by administrators) and those of one project (scope `p`), with a
 * name unique in its scope, and their attachment to artifacts. Emits `label.*` and `artifact.labeled|unlabeled`.
 */
export class LabelsService {
  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
  ) {}

  async get(id: number): Promise<LabelRow> {
    const label = await labelsRepo.get(this.db, id);
    if (!label) throw new BerthError('NOT_FOUND', `label ${id} not found`);
    return label;
  }

  async create(input: LabelInput, operator: Operator): Promise<number> {
    const id = await labelsRepo.insert(this.db, input);
    if (id === null) throw new BerthError('CONFLICT', `a label named "${input.name}" exists already in this ${input.scope === 'g' ? 'system' : 'project'}`);
    this.events.emit('label.created', operator, { labelId: id, name: input.name, scope: input.scope, projectId: input.projectId });
    return id;
  }

  async update(label: LabelRow, changes: { name: string; description: string; color: string }, operator: Operator): Promise<void> {
    if (!(await labelsRepo.update(this.db, label.id, changes))) throw new BerthError('CONFLICT', `a label named "${changes.name}" exists already in this scope`);
    this.events.emit('label.updated', operator, { labelId: label.id, name: changes.name, scope: label.scope, projectId: label.project_id });
  }

  /** Deletes a label and detaches it from every artifact. */
  async delete(label: LabelRow, operator: Operator): Promise<void> {
    await labelsRepo.delete(this.db, label.id);
    this.events.emit('label.deleted', operator, { labelId: label.id, name: label.name, scope: label.scope, projectId: label.project_id });
  }

  page(opts: { scope: 'g' | 'p'; projectId?: number; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return labelsRepo.page(this.db, opts);
  }

  /** Labels of each artifact, by artifact id. */
  async ofArtifacts(artifactIds: number[]): Promise<Map<number, LabelRow[]>> {
    const out = new Map<number, LabelRow[]>();
    for (const { artifact_id, ...label } of await labelsRepo.ofArtifacts(this.db, artifactIds)) {
      const list = out.get(artifact_id) ?? [];
      list.push(label);
      out.set(artifact_id, list);
    }
    return out;
  }

  /**
   * Attaches a label to an artifact: global labels go anywhere, a project's labels only on that project's artifacts
   * (another project's label is NOT_FOUND here, as in Harbor). CONFLICT when it is attached already.
   */
  async attach(project: ProjectRef, artifact: ArtifactViewRow, labelId: number, operator: Operator): Promise<void> {
    const label = await labelsRepo.get(this.db, labelId);
    if (!label || (label.scope === 'p' && label.project_id !== project.id)) throw new BerthError('NOT_FOUND', `label ${labelId} not found in project ${project.name}`);
    if (!(await labelsRepo.attach(this.db, artifact.id, label.id))) throw new BerthError('CONFLICT', `label ${label.name} is already on the artifact`);
    this.events.emit('artifact.labeled', operator, { ...eventOf(project, artifact), labelId: label.id, label: label.name });
  }

  async detach(project: ProjectRef, artifact: ArtifactViewRow, labelId: number, operator: Operator): Promise<void> {
    const label = await labelsRepo.get(this.db, labelId);
    if (!label || !(await labelsRepo.detach(this.db, artifact.id, label.id))) throw new BerthError('NOT_FOUND', `label ${labelId} is not on the artifact`);
    this.events.emit('artifact.unlabeled', operator, { ...eventOf(project, artifact), labelId: label.id, label: label.name });
  }
}

const eventOf = (project: ProjectRef, a: ArtifactViewRow) => ({
  projectId: project.id,
  projectName: project.name,
  repository: a.repository_name,
  digest: a.digest,
  mediaType: a.media_type,
  tags: [] as string[],
  size: a.size,
});
