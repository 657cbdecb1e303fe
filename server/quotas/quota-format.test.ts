import { describe, expect, it } from 'vitest';
import { formatBytes, quotaExceeded } from './quota-format.ts';

describe('quota messages', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 * 1024, '10.0 MiB'],
    [5 * 1024 ** 3 + 7, '5.0 GiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('names the requested and the remaining bytes in a 403 DENIED', () => {
    const err = quotaExceeded('team', 3 * 1024 * 1024, 9 * 1024 * 1024, 10 * 1024 * 1024);
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.status).toBe(403);
    expect(err.message).toContain('3.0 MiB (3145728 bytes)');
    expect(err.message).toContain('1.0 MiB (1048576 bytes) remaining');
    expect(err.message).toContain('limit of 10.0 MiB');
    expect(err.message).toContain('project team');
  });

  it('never reports negative room when usage already passes a lowered limit', () => {
    expect(quotaExceeded('team', 10, 500, 100).message).toContain('0 B (0 bytes) remaining');
  });
});
