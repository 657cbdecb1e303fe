import { BerthError } from '../core/errors.ts';
import { parseDigest } from '../core/digest.ts';
import { isSchema1, manifestKindOf, mediaTypes, type ManifestKind } from './media-types.ts';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  kind: ManifestKind;
  config?: Descriptor;
  /** Layers (image manifests) or blobs (artifact manifests); empty for indexes. */
  layers: Descriptor[];
  /** Child manifests (indexes); empty for image manifests. */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** As the referrers API reports it: `artifactType`, else a non-image config media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const invalid = (message: string): BerthError => new BerthError('MANIFEST_INVALID', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) throw invalid(`${where}.annotations must map strings to strings`);
  return value as Record<string, string>;
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, urls, platform } = value;
  if (typeof mediaType !== 'string' || !mediaType) throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof digest !== 'string' || !parseDigest(digest)) throw invalid(`${where}.digest is not a valid sha256 or sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${where}.artifactType must be a string`);
  if (urls !== undefined && (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))) throw invalid(`${where}.urls must be strings`);
  const d: Descriptor = { mediaType, digest, size };
  if (artifactType) d.artifactType = artifactType;
  const annotations = parseAnnotations(value.annotations, where);
  if (annotations) d.annotations = annotations;
  if (urls) d.urls = urls as string[];
  if (platform !== undefined) {
    if (!isObject(platform) || typeof platform.architecture !== 'string' || typeof platform.os !== 'string') {
      throw invalid(`${where}.platform needs string architecture and os`);
    }
    d.platform = platform as unknown as Platform;
  }
  return d;
}

function parseList(value: unknown, where: string, required: boolean): Descriptor[] {
  if (value === undefined || value === null) {
    if (required) throw invalid(`${where} is required`);
    return [];
  }
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  return value.map((item, i) => parseDescriptor(item, `${where}[${i}]`));
}

/**
 * Parses and validates a manifest body. The media type comes from the body's `mediaType` when present, else from
 * the request's Content-Type; when both are given they must agree.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const declared = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  if (declared && isSchema1(declared) && declared !== 'application/json') throw schema1Error();
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isObject(doc)) throw invalid('manifest must be a JSON object');
  if (doc.schemaVersion === 1) throw schema1Error();
  if (doc.schemaVersion !== 2) throw invalid('manifest schemaVersion must be 2');
  if (doc.mediaType !== undefined && typeof doc.mediaType !== 'string') throw invalid('manifest mediaType must be a string');
  const own = doc.mediaType as string | undefined;
  if (own && declared && declared !== 'application/json' && own !== declared) {
    throw invalid(`manifest mediaType "${own}" does not match Content-Type "${declared}"`);
  }
  const mediaType = own ?? (declared && declared !== 'application/json' ? declared : guessOciType(doc));
  const kind = manifestKindOf(mediaType);
  if (!kind) throw invalid(`unsupported manifest media type "${mediaType.slice(0, 200)}"`);

  const parsed: ParsedManifest = { mediaType, kind, layers: [], manifests: [] };
  if (kind === 'image') {
    parsed.config = parseDescriptor(doc.config, 'config');
    parsed.layers = parseList(doc.layers, 'layers', mediaType === mediaTypes.dockerManifest);
  } else {
    parsed.manifests = parseList(doc.manifests, 'manifests', true);
  }
  if (doc.subject !== undefined) parsed.subject = parseDescriptor(doc.subject, 'subject');
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string');
  const annotations = parseAnnotations(doc.annotations, 'manifest');
  if (annotations) parsed.annotations = annotations;
  const imageConfigs: string[] = [mediaTypes.ociConfig, mediaTypes.dockerConfig];
  parsed.artifactType = (doc.artifactType as string | undefined) || (parsed.config && !imageConfigs.includes(parsed.config.mediaType) ? parsed.config.mediaType : undefined);
  return parsed;
}

/** OCI manifests may omit mediaType; the structure then tells an index from an image manifest. */
function guessOciType(doc: Record<string, unknown>): string {
  if (Array.isArray(doc.manifests)) return mediaTypes.ociIndex;
  if (isObject(doc.config)) return mediaTypes.ociManifest;
  throw invalid('manifest has no mediaType and is neither an image manifest nor an index');
}

function schema1Error(): BerthError {
  return new BerthError(
    'UNSUPPORTED',
    'Docker schema 1 manifests are not supported (deprecated since 2017); convert the image to schema 2 or OCI, e.g. `skopeo copy --format v2s2`',
  );
}
