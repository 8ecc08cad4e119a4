import { describe, expect, it } from 'vitest';
import { formatBytes } from './bytes';

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [10485, '10 KB'],
    [3 << 20, '3 MB'],
    [1 << 30, '1 GB'],
    [1.25 * 2 ** 40, '1.3 TB'],
    [2 ** 60, '1,024 PB'],
    [-5, '0 bytes'],
    [Number.NaN, '0 bytes'],
  ])('%s bytes is %s', (n, want) => {
    expect(formatBytes(n, 'en')).toBe(want);
  });

  it('writes decimals as the locale does', () => {
    expect(formatBytes(1536, 'de')).toBe('1,5 KB');
  });
});
