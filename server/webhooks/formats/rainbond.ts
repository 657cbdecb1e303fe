import { harborPayload, nameInProject, referenceOf } from './harbor-payload.ts';
import { unixSeconds, type HookEvent, type RenderedPayload } from './hook-event.ts';

/**
 * `Rainbond`: one body that every Rainbond console version reads as an image push. Newer consoles read Harbor's
 * fields when `event_data.resources` is present (`type` must be PUSH_ARTIFACT, the tag of `resources[0]`,
 * `event_data.repository.repo_full_name`, `operator`); older ones read only Docker Hub's push webhook fields
 * (`push_data.tag`, `push_data.pusher`, and `repository.repo_name`, from which they strip the registry host before
 * comparing it with the component's image, so it must carry the host). This body is Harbor's Default payload
 * with Docker Hub's `push_data` and `repository` beside it.
 */
export function formatRainbond(hook: HookEvent): RenderedPayload {
  const repository = hook.repository?.name ?? hook.project.name;
  const harbor = harborPayload(hook);
  const body = {
    ...harbor,
    // Newer consoles deploy only on PUSH_ARTIFACT: a promotion is sent as the push into the target stage it is,
    // with Berth's own type beside it.
    ...(hook.type === 'PROMOTE_ARTIFACT' ? { type: 'PUSH_ARTIFACT', berth_event_type: hook.type } : {}),
    push_data: {
      pushed_at: unixSeconds(hook.occurredAt),
      pusher: hook.operator,
      tag: referenceOf(hook) ?? '',
    },
    repository: {
      ...(hook.repository?.createdAt ? { date_created: unixSeconds(hook.repository.createdAt) } : {}),
      name: nameInProject(repository),
      namespace: hook.project.name,
      owner: hook.project.name,
      repo_name: `${hook.registryHost}/${repository}`,
      is_private: !hook.project.public,
      status: 'Active',
    },
  };
  return { contentType: 'application/json', body: JSON.stringify(body) };
}
