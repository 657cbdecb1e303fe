import { childrenOf, parseManifest } from '../../client/image.ts';
import { formatImageRef, referenceOf } from '../../client/image-ref.ts';
import { openLocalSource } from '../../client/image-source/open-source.ts';
import { registrySource } from '../../client/registry-source.ts';
import { pullToLayout, pushImage, type TransferResult } from '../../client/transfer.ts';
import { positiveInt, str, UsageError, type OptionSpecs } from '../args.ts';
import { BlobLocations } from '../cli-config.ts';
import type { Command } from '../command.ts';
import { parseCreds, type CliContext } from '../context.ts';
import { progressReporter, size } from '../progress.ts';

const transferOptions: OptionSpecs = {
  concurrency: { type: 'string', value: 'n', help: 'blobs transferred at once (default 3)' },
  progress: { type: 'string', value: 'auto|plain|none', help: 'a redrawn bar on a terminal (auto), a line per blob (plain), or nothing' },
};

function progressOf(ctx: CliContext, verb: string) {
  const mode = str(ctx.values.progress) ?? 'auto';
  if (!['auto', 'plain', 'none'].includes(mode)) throw new UsageError('--progress is auto, plain or none');
  return progressReporter(ctx.io.stderr as NodeJS.WritableStream, verb, mode as 'auto' | 'plain' | 'none');
}

const summary = (r: TransferResult, verb: string): string[] => [
  `${verb} ${r.reference}`,
  `digest: ${r.digest}`,
  `blobs: ${r.blobs.total} (${r.blobs.transferred} transferred, ${r.blobs.mounted} mounted, ${r.blobs.existing} already there), ${size(r.bytesTransferred)} transferred`,
];

export const pushCommand: Command = {
  name: 'push',
  summary: 'push an image from an OCI layout, an oci-archive tar or a docker save tarball (no daemon)',
  usage: 'berth push <source> <[host/]project/repository[:tag]>',
  description:
    'The source is an OCI image layout directory, an oci-archive tar, or a `docker save` tarball, recognised by what it ' +
    'holds (or named as skopeo does: oci:<dir>[:ref], oci-archive:<file>[:ref], docker-archive:<file>[:repo:tag]). ' +
    'Blobs the repository has are skipped, blobs seen in another repository of the registry are mounted, the rest are ' +
    'uploaded in parallel. Without a tag, the image is pushed as :latest.',
  options: transferOptions,
  async run(ctx, args) {
    if (args.length !== 2) throw new UsageError('push takes a source and an image: berth push ./build dev/app:1.0');
    const target = await ctx.image(args[1], 'target image');
    if (target.ref.digest) throw new UsageError('push to a tag, not a digest (the digest is what the registry computes)');
    const source = await openLocalSource(args[0]!);
    const client = await ctx.registry(target.origin);
    const locations = await BlobLocations.load(ctx.io.env);
    const progress = progressOf(ctx, 'push');
    const tag = target.ref.tag ?? 'latest';
    const seen: string[] = [];
    const result = await pushImage(source, { client, repository: target.ref.repository, tag }, {
      concurrency: positiveInt('concurrency', ctx.values.concurrency, 3, 32),
      onEvent: (e) => {
        if (e.type === 'blob' && e.status !== 'transferring') seen.push(e.digest);
        progress.onEvent(e);
      },
      mountFrom: (d) => locations.candidates(target.host, d),
    });
    progress.finish();
    locations.record(target.host, target.ref.repository, seen);
    await locations.save();
    const image = `${target.host}/${target.ref.repository}:${tag}`;
    ctx.result({ image, ...result, imageWithDigest: `${target.host}/${target.ref.repository}@${result.digest}` }, () => summary(result, 'pushed'));
  },
};

export const pullCommand: Command = {
  name: 'pull',
  summary: 'pull an image (or a whole index) into an OCI image layout directory',
  usage: 'berth pull <[host/]project/repository[:tag|@digest]> <dir>',
  description: 'The layout is created if absent and added to if present; the image is named in its index.json by the tag (or --name). Blobs are hashed as they arrive and kept only if their digest is right.',
  options: { ...transferOptions, name: { type: 'string', value: 'ref', help: 'the name to give the image in the layout (default: its tag)' } },
  async run(ctx, args) {
    if (args.length !== 2) throw new UsageError('pull takes an image and a directory: berth pull dev/app:1.0 ./app-layout');
    const from = await ctx.image(args[0]);
    const dir = args[1]!.replace(/^oci:/, '');
    const client = await ctx.registry(from.origin);
    const progress = progressOf(ctx, 'pull');
    const result = await pullToLayout(registrySource(client, from.ref.repository, referenceOf(from.ref)), dir, str(ctx.values.name) ?? from.ref.tag ?? (from.ref.digest ? undefined : 'latest'), {
      concurrency: positiveInt('concurrency', ctx.values.concurrency, 3, 32),
      onEvent: progress.onEvent,
    });
    progress.finish();
    ctx.result({ image: formatImageRef({ ...from.ref, host: from.host }), ...result }, () => summary(result, 'pulled into'));
  },
};

export const copyCommand: Command = {
  name: 'copy',
  summary: 'copy an image (every platform of an index) from one registry repository to another',
  usage: 'berth copy <source image> <target image>',
  description: 'Blobs stream from the source registry to the target; within one registry they are mounted, not moved. Credentials for each registry come from the auth file, or --src-creds / --dest-creds.',
  options: {
    ...transferOptions,
    'src-creds': { type: 'string', value: 'user:password', help: 'credentials for the source registry' },
    'dest-creds': { type: 'string', value: 'user:password', help: 'credentials for the target registry' },
  },
  async run(ctx, args) {
    if (args.length !== 2) throw new UsageError('copy takes a source and a target image');
    const from = await ctx.image(args[0], 'source image');
    const to = await ctx.image(args[1], 'target image');
    if (to.ref.digest) throw new UsageError('copy to a tag (or to a repository: the source tag is kept)');
    const source = registrySource(await ctx.registry(from.origin, parseCreds(str(ctx.values['src-creds']))), from.ref.repository, referenceOf(from.ref));
    const client = await ctx.registry(to.origin, parseCreds(str(ctx.values['dest-creds'])));
    const progress = progressOf(ctx, 'copy');
    const locations = await BlobLocations.load(ctx.io.env);
    const tag = to.ref.tag ?? from.ref.tag ?? 'latest';
    const seen: string[] = [];
    const result = await pushImage(source, { client, repository: to.ref.repository, tag }, {
      concurrency: positiveInt('concurrency', ctx.values.concurrency, 3, 32),
      onEvent: (e) => {
        if (e.type === 'blob' && e.status !== 'transferring') seen.push(e.digest);
        progress.onEvent(e);
      },
      mountFrom: (d) => locations.candidates(to.host, d),
    });
    progress.finish();
    locations.record(to.host, to.ref.repository, seen);
    await locations.save();
    ctx.result({ image: `${to.host}/${to.ref.repository}:${tag}`, from: formatImageRef({ ...from.ref, host: from.host }), ...result }, () => summary(result, 'copied to'));
  },
};

export const tagCommand: Command = {
  name: 'tag',
  summary: 'give an image more tags in its repository',
  usage: 'berth tag <image> <tag> [tag ...]',
  options: {},
  async run(ctx, args) {
    if (args.length < 2) throw new UsageError('tag takes an image and at least one new tag');
    const image = await ctx.image(args[0]);
    const client = await ctx.registry(image.origin);
    const manifest = await client.getManifest(image.ref.repository, referenceOf(image.ref));
    const tags = args.slice(1);
    for (const t of tags) {
      if (!/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/.test(t)) throw new UsageError(`${t} is not a tag`);
      await client.putManifest(image.ref.repository, t, manifest.bytes, manifest.mediaType);
    }
    ctx.result({ repository: `${image.host}/${image.ref.repository}`, digest: manifest.digest, tags }, () => tags.map((t) => `tagged ${image.host}/${image.ref.repository}:${t} -> ${manifest.digest}`));
  },
};

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show an image: digest, media type, platforms, config, layers, and on Berth its tags, labels and scan',
  usage: 'berth inspect <image>',
  options: {},
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('inspect takes one image');
    const image = await ctx.image(args[0]);
    const client = await ctx.registry(image.origin);
    const manifest = await client.getManifest(image.ref.repository, referenceOf(image.ref));
    const { manifests, blobs } = childrenOf(manifest);
    const json = parseManifest(manifest) as { config?: { digest: string }; layers?: Array<{ digest: string; size: number; mediaType: string }>; annotations?: Record<string, string> };
    let config: Record<string, unknown> | undefined;
    if (json.config) {
      const { stream } = await client.openBlob(image.ref.repository, json.config.digest);
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of stream) {
        n += (c as Buffer).length;
        if (n > 4 << 20) break;
        chunks.push(c as Buffer);
      }
      try {
        config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        config = undefined;
      }
    }
    // The Harbor-shaped artifact record, when the registry is a Berth (or Harbor) and the caller may read it.
    const artifact = await ctx
      .api(image.origin)
      .then((api) => api.artifact(image.ref.repository, manifest.digest))
      .catch(() => undefined);
    const value = {
      name: `${image.host}/${image.ref.repository}`,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      manifests: manifests.map((m) => ({ digest: m.digest, mediaType: m.mediaType, size: m.size, platform: m.platform })),
      layers: json.layers ?? [],
      size: blobs.reduce((s, b) => s + b.size, manifest.bytes.length),
      config: config ? { architecture: config.architecture, os: config.os, created: config.created, labels: (config.config as { Labels?: unknown } | undefined)?.Labels ?? null } : null,
      annotations: json.annotations ?? null,
      tags: artifact?.tags?.map((t) => t.name) ?? null,
      artifact: artifact ?? null,
    };
    ctx.result(value, () => [
      `Name:       ${value.name}`,
      `Digest:     ${value.digest}`,
      `Media type: ${value.mediaType}`,
      ...(value.config ? [`Platform:   ${String(value.config.os)}/${String(value.config.architecture)}`, `Created:    ${String(value.config.created ?? '-')}`] : []),
      ...(value.tags ? [`Tags:       ${value.tags.join(', ') || '-'}`] : []),
      ...(manifests.length ? ['Manifests:', ...value.manifests.map((m) => `  ${m.digest}  ${m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : m.mediaType}`)] : []),
      ...(value.layers.length ? ['Layers:', ...value.layers.map((l) => `  ${l.digest}  ${size(l.size).padStart(10)}  ${l.mediaType}`)] : []),
      ...(artifact?.scan_overview ? [`Scan:       ${JSON.stringify(artifact.scan_overview)}`] : []),
    ]);
  },
};
