import { randomBytes, randomUUID } from 'node:crypto';

export const newUploadId = (): string => randomUUID();
export const newRequestId = (): string => randomBytes(8).toString('hex');
