import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ociIndexType, ociManifestType, sha256, type OciTestClient } from './oci-client.ts';

export const helmConfigType = 'application/vnd.cncf.helm.config.v1+json';
export const helmChartLayerType = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const cosignLayerType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const notationType = 'application/vnd.cncf.notary.signature';
const emptyConfig = Buffer.from('{}');

/** One ustar header block for a regular file (enough for `tar`, `helm` and Node to read). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A gzipped tar of the given files (path -> content), as `tar czf` writes one. */
export function tarGz(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    parts.push(tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** A real Helm chart package: `<name>/Chart.yaml`, `values.yaml` and a template. */
export function helmChart(name: string, version: string): { tgz: Buffer; chart: Record<string, string> } {
  const chart = { apiVersion: 'v2', name, version, description: `the ${name} chart`, type: 'application', appVersion: '1.0.0' };
  const yaml = Object.entries(chart).map(([k, v]) => `${k}: ${v}`).join('\n');
  const tgz = tarGz({
    [`${name}/Chart.yaml`]: `${yaml}\n`,
    [`${name}/values.yaml`]: 'replicaCount: 1\n',
    [`${name}/templates/configmap.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
  });
  return { tgz, chart };
}

/** Pushes a Helm chart as Helm's OCI support does: the Chart.yaml metadata as the config, the package as the layer. */
export async function pushHelmChart(oci: OciTestClient, repo: string, name: string, version: string): Promise<{ digest: string; chart: Record<string, string> }> {
  const { tgz, chart } = helmChart(name, version);
  const config = Buffer.from(JSON.stringify(chart));
  await oci.pushBlob(repo, config);
  await oci.pushBlob(repo, tgz);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestType,
      config: { mediaType: helmConfigType, digest: sha256(config), size: config.length },
      layers: [{ mediaType: helmChartLayerType, digest: sha256(tgz), size: tgz.length }],
      annotations: { 'org.opencontainers.image.title': name, 'org.opencontainers.image.version': version },
    }),
  );
  const res = await oci.putManifest(repo, version, manifest);
  if (res.status !== 201) throw new Error(`chart push failed: ${res.status} ${await res.text()}`);
  return { digest: sha256(manifest), chart };
}

/** Pushes one untagged image per platform and an index naming them; returns the digests. */
export async function pushIndex(oci: OciTestClient, repo: string, tag: string, architectures: string[] = ['amd64', 'arm64']): Promise<{ digest: string; children: Array<{ digest: string; architecture: string; size: number }> }> {
  const children = [];
  for (const architecture of architectures) {
    const layer = randomBytes(700);
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    await oci.pushBlob(repo, layer);
    await oci.pushBlob(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
      }),
    );
    const res = await oci.putManifest(repo, sha256(manifest), manifest);
    if (res.status !== 201) throw new Error(`child push failed: ${res.status} ${await res.text()}`);
    children.push({ digest: sha256(manifest), architecture, size: manifest.length, manifestSize: manifest.length, total: manifest.length + layer.length + config.length });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociIndexType,
      manifests: children.map((c) => ({ mediaType: ociManifestType, digest: c.digest, size: c.manifestSize, platform: { architecture: c.architecture, os: 'linux' } })),
    }),
  );
  const res = await oci.putManifest(repo, tag, index, ociIndexType);
  if (res.status !== 201) throw new Error(`index push failed: ${res.status} ${await res.text()}`);
  return { digest: sha256(index), children: children.map((c) => ({ digest: c.digest, architecture: c.architecture, size: c.total })) };
}

/** A legacy cosign signature: an image tagged `sha256-<hex>.sig` whose layer is the simple-signing payload. */
export async function pushCosignSignature(oci: OciTestClient, repo: string, subject: string): Promise<string> {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repo }, image: { 'docker-manifest-digest': subject }, type: 'cosign container image signature' }, optional: null }));
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] } }));
  await oci.pushBlob(repo, payload);
  await oci.pushBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: cosignLayerType, digest: sha256(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': randomBytes(48).toString('base64') } }],
    }),
  );
  const res = await oci.putManifest(repo, `sha256-${subject.slice(7)}.sig`, manifest);
  if (res.status !== 201) throw new Error(`signature push failed: ${res.status} ${await res.text()}`);
  return sha256(manifest);
}

/** An OCI 1.1 referrer of `subject` (e.g. a Notation signature or an SBOM): the empty config and one blob. */
export async function pushReferrer(oci: OciTestClient, repo: string, subject: { digest: string; size: number }, artifactType: string): Promise<string> {
  const blob = randomBytes(200);
  await oci.pushBlob(repo, emptyConfig);
  await oci.pushBlob(repo, blob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestType,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: emptyConfig.length },
      layers: [{ mediaType: 'application/octet-stream', digest: sha256(blob), size: blob.length }],
      subject: { mediaType: ociManifestType, digest: subject.digest, size: subject.size },
    }),
  );
  const res = await oci.putManifest(repo, sha256(manifest), manifest);
  if (res.status !== 201) throw new Error(`referrer push failed: ${res.status} ${await res.text()}`);
  return sha256(manifest);
}
