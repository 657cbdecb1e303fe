import type { Answer, ReceivedRequest, Responder } from './webhook-receiver.ts';

/**
 * A stand-in for Rainbond's console image webhook (`POST /console/image/webhooks/<service_id>`), applying the
 * console's own matching rule to what it receives. The rule is read from goodrain/rainbond-console,
 * console/views/webhook.py:
 *
 * - `current`: the console at ae3f1618 (2026): `parse_image_webhook_payload` reads Harbor's fields when
 *   `event_data.resources` is present (`type` must be PUSH_ARTIFACT, otherwise it answers 200 "event type not
 *   support" and deploys nothing; tag of `resources[0]`; `repo_full_name`, else `name`; `operator`), else Docker
 *   Hub's (`push_data.tag`, `push_data.pusher`, `repository.repo_name`); then `ImageWebHooksDeploy.post` compares
 *   that repository name, as it is, with the component image's name without its registry host.
 * - `legacy`: the console at 9e9e6bb5 (January 2025) and before: Docker Hub's fields only, and the registry host is
 *   stripped from `repository.repo_name` (`Reference.parse(repo_name).split_hostname()`) before the comparison.
 *
 * In both, with no tag trigger set the pushed tag must equal the component image's tag; with one, the tag must
 * match it (`re.match`, anchored at the start).
 *
 * Image references are split as the console's library does (docker-image-py, docker_image/reference.py and
 * regexp.py): the first path component is taken as the host whenever the name has more than one component, so
 * `library/app` splits into host `library` and name `app`; that is why Docker Hub's `repo_name` must carry the host.
 */
export type RainbondVersion = 'current' | 'legacy';

export interface RainbondComponent {
  /** The component's image, as configured in Rainbond: `host[:port]/project/repo:tag`. */
  image: string;
  /** The component's tag trigger (a regular expression), if any. */
  trigger?: string;
  version: RainbondVersion;
}

export interface RainbondDecision {
  deployed: boolean;
  status: number;
  reason: string;
  tag?: string;
  pusher?: string;
}

// docker-image-py's grammar, written out with JavaScript regular expressions.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]*)';
const nameComponent = `${alnum}(?:(?:${separator}${alnum})+)?`;
const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const hostname = `${hostComponent}(?:(?:\\.${hostComponent})+)?(?::[0-9]+)?`;
const path = `${nameComponent}(?:(?:/${nameComponent})+)?`;
const referencePattern = new RegExp(`^((?:${hostname}/)?${path})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);
const anchoredName = new RegExp(`^(?:(${hostname})/)?(${path})$`);

/** `Reference.parse`: name and tag of an image reference (throws on an invalid one, as the console's 500). */
export function parseReference(ref: string): { name: string; tag?: string } {
  const m = referencePattern.exec(ref);
  if (!m) throw new Error(`invalid reference format: ${ref}`);
  return { name: m[1]!, ...(m[2] ? { tag: m[2] } : {}) };
}

/** `split_hostname`: the greedy host/name split of docker-image-py. */
export function splitHostname(name: string): [string, string] {
  const m = anchoredName.exec(name);
  return m ? [m[1] ?? '', m[2]!] : ['', name];
}

type Json = Record<string, any>;

const refuse = (reason: string): RainbondDecision => ({ deployed: false, status: 400, reason });

/** What the console does with one webhook body for `component`. */
export function rainbondDecide(component: RainbondComponent, data: Json): RainbondDecision {
  let repoName: string | undefined;
  let tag: string | undefined;
  let pusher: string | undefined;
  const harbor = component.version === 'current' && data.event_data && typeof data.event_data === 'object' && 'resources' in data.event_data;
  if (harbor) {
    if (data.type !== 'PUSH_ARTIFACT') return { deployed: false, status: 200, reason: 'event type not support' };
    const resources = (data.event_data.resources ?? []) as Json[];
    if (!resources.length) return refuse('Harbor webhook lacks resources');
    tag = resources[0]!.tag;
    const repository = (data.event_data.repository ?? {}) as Json;
    repoName = repository.repo_full_name || repository.name;
    pusher = data.operator || 'harbor';
  } else {
    const repository = data.repository as Json | undefined;
    if (!repository) return refuse('missing repository');
    if (component.version === 'legacy' && !data.push_data) return { deployed: false, status: 500, reason: "'NoneType' object has no attribute 'get'" };
    pusher = data.push_data?.pusher;
    tag = data.push_data?.tag;
    repoName = repository.repo_name;
    if (!repoName) {
      repoName = repository.namespace && repository.name ? `fake.repo.aliyun.com/${repository.namespace}/${repository.name}` : repository.repo_full_name;
    }
    if (repoName && component.version === 'legacy') repoName = splitHostname(parseReference(repoName).name)[1];
  }
  if (!repoName) return refuse('missing repository name');
  const image = parseReference(component.image);
  const [, name] = splitHostname(image.name);
  if (repoName !== name) return refuse(`image name ${repoName} does not match the component's ${name}`);
  if (component.trigger) {
    if (typeof tag !== 'string' || !new RegExp(`^(?:${component.trigger})`).test(tag)) return refuse('tag does not match the trigger');
  } else if (tag !== image.tag) return refuse(`tag ${String(tag)} does not match the component's ${String(image.tag)}`);
  return { deployed: true, status: 200, reason: 'deploying', tag, pusher };
}

/** A receiver responder answering as the console would; every decision is kept in `decisions`. */
export function rainbondConsole(component: RainbondComponent, decisions: RainbondDecision[] = []): Responder {
  return (req: ReceivedRequest): Answer => {
    let decision: RainbondDecision;
    try {
      decision = rainbondDecide(component, JSON.parse(req.body.toString('utf8')) as Json);
    } catch (err) {
      decision = { deployed: false, status: 500, reason: (err as Error).message };
    }
    decisions.push(decision);
    return { status: decision.status, body: JSON.stringify({ msg_show: decision.reason }) };
  };
}
