import { createHash } from 'node:crypto';
import type { ParsedDigest } from '../core/digest.ts';

/** An upload: a session owned by a repository, or a private upload finished within one request. */
export interface UploadRef {
  id: string;
  repository?: string;
}

const repositoryTag = (repository: string): string => createHash('sha256').update(repository).digest('hex').slice(0, 16);

/** The storage layout, in one place. Blobs are content-addressed and shared by every repository. */
export const paths = {
  blob: (d: ParsedDigest): string => `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  uploadsRoot: 'uploads',
  /**
   * One file per upload, spread over 256 folders so concurrent creations do not queue on one directory lock.
   * A session's file name carries a hash of its repository, so the owner needs no record of its own (creating
   * a file is the costliest metadata operation on ext4) and a request naming another repository finds nothing.
   */
  uploadData: (u: UploadRef): string => `uploads/${u.id.slice(0, 2)}/${u.id}${u.repository ? `.${repositoryTag(u.repository)}` : ''}`,
};
