/**
 * What the inventory of an image is made of: installed packages found in its final filesystem, each named the
 * way OSV advisories name packages, so that matching is a lookup by (ecosystem, name).
 */

/** OSV ecosystem names without a release suffix (`Debian`, not `Debian:12`); the release comes from os-release. */
export type Ecosystem = 'Debian' | 'Ubuntu' | 'Alpine' | 'RPM' | 'npm' | 'PyPI' | 'Go';

export interface InstalledPackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** dpkg's source package (`Source:`), apk's origin, rpm's source RPM name: what distro advisories name. */
  sourceName?: string;
  sourceVersion?: string;
  arch?: string;
  licenses?: string[];
  /** The file (path inside the image, no leading slash) the package was read from. */
  path: string;
}

/** The operating system, from `etc/os-release` or `usr/lib/os-release`. */
export interface OsRelease {
  /** `ID`: debian, ubuntu, alpine, rhel, rocky ... */
  id: string;
  /** `VERSION_ID`: 12, 22.04, 3.19.1 ... */
  versionId?: string;
  prettyName?: string;
  versionCodename?: string;
}

/**
 * Reads package records out of one file's content. Analyzers are pure: the layer walker decides which files
 * to read (by `wants`) and hands each one over whole, so an analyzer never sees the tar stream.
 */
export interface FileAnalyzer {
  readonly id: string;
  /**
   * Whether this file's content is wanted. `path` is relative to the image root with no leading slash
   * (`var/lib/dpkg/status`); `executable` is any x bit set; `size` is the tar header's size.
   */
  wants(path: string, info: { executable: boolean; size: number }): boolean;
  /** Largest file this analyzer reads; bigger ones are skipped (and the skip is reported). */
  readonly maxBytes: number;
  /** The packages the file records. Throws only for content that is malformed beyond use. */
  parse(path: string, content: Buffer): InstalledPackage[];
}
