import type { ParsedDigest } from '../core/digest.ts';

/** The storage layout, in one place. Blobs are content-addressed and shared by every repository. */
export const paths = {
  blob: (d: ParsedDigest): string => `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  // Uploads are two flat files per session (no folder to create and remove for every blob).
  uploadsRoot: 'uploads',
  uploadData: (id: string): string => `uploads/${id}.data`,
  uploadInfo: (id: string): string => `uploads/${id}.info`,
  /** The session id a file under uploadsRoot belongs to. */
  uploadIdOf: (file: string): string => file.replace(/\.tmp-[0-9a-f]+$/, '').replace(/\.(data|info)$/, ''),
};
