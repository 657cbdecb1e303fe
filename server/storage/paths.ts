import type { ParsedDigest } from '../core/digest.ts';

/** The storage layout, in one place. Blobs are content-addressed and shared by every repository. */
export const paths = {
  blob: (d: ParsedDigest): string => `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  uploadsRoot: 'uploads',
  uploadDir: (id: string): string => `uploads/${id}`,
  uploadData: (id: string): string => `uploads/${id}/data`,
  uploadInfo: (id: string): string => `uploads/${id}/info`,
};
