import { randomBytes, randomUUID } from 'node:crypto';

export const newUploadId = (): string => randomUUID();

// Request ids need to be unique, not secret: a random per-process prefix and a counter. (A fresh randomBytes(8)
// per request cost a tenth of a manifest GET's CPU in OpenSSL's generator.)
const requestPrefix = randomBytes(6).toString('hex');
let requestCounter = 0;
export const newRequestId = (): string => `${requestPrefix}${(requestCounter++).toString(16).padStart(4, '0')}`;
