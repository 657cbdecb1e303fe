import { describe, expect, it } from 'vitest';
import { isClientError } from './errors.ts';
import { formatImageRef, parseImageRef, referenceOf } from './image-ref.ts';

const digest = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef', () => {
  it.each([
    ['dev/app', { repository: 'dev/app' }],
    ['dev/app:1.4', { repository: 'dev/app', tag: '1.4' }],
    [`dev/app@${digest}`, { repository: 'dev/app', digest }],
    [`localhost:5000/dev/team/app:v1@${digest}`, { host: 'localhost:5000', repository: 'dev/team/app', tag: 'v1', digest }],
    ['registry.example.com/dev/app', { host: 'registry.example.com', repository: 'dev/app' }],
    ['127.0.0.1:5000/dev/app:latest', { host: '127.0.0.1:5000', repository: 'dev/app', tag: 'latest' }],
  ])('%s', (text, expected) => {
    expect(parseImageRef(text)).toEqual({ host: undefined, tag: undefined, digest: undefined, ...expected });
    expect(formatImageRef(parseImageRef(text))).toBe(text);
  });

  it.each(['app', 'Dev/App', 'dev/app:', 'dev/app:-bad', 'dev/app@sha256:abc', 'dev//app', 'dev/app@', '../etc/passwd'])('refuses %s', (text) => {
    let caught: unknown;
    try {
      parseImageRef(text);
    } catch (err) {
      caught = err;
    }
    expect(isClientError(caught) && caught.kind === 'invalid').toBe(true);
  });

  it('resolves the digest, then the tag, then latest', () => {
    expect(referenceOf(parseImageRef(`dev/app:1@${digest}`))).toBe(digest);
    expect(referenceOf(parseImageRef('dev/app:1'))).toBe('1');
    expect(referenceOf(parseImageRef('dev/app'))).toBe('latest');
  });
});
