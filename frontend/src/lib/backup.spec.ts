import { describe, expect, it } from 'vitest';
import { backupProgressText, formatBytes } from './backup.svelte';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [4_200_000, '4.2 MB'],
    [105_400_000, '105 MB'],
    [3_000_000_000, '3.0 GB'],
    [2e15, '2000 TB'],
  ])('%d bytes are %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('backupProgressText', () => {
  const p = { operation: 'export', stage: 'running', text: '', download: '' } as const;
  it('counts items of the total once Go knows it', () => {
    expect(backupProgressText({ ...p, bytes: 4_200_000, items: 1204, totalItems: 10_000, fileBytes: 0, totalFileBytes: 0 }, 'en-US')).toBe(
      '4.2 MB · 1,204 of 10,000 items',
    );
  });
  it('counts items alone before', () => {
    expect(backupProgressText({ ...p, bytes: 0, items: 0, totalItems: 0, fileBytes: 0, totalFileBytes: 0 }, 'en-US')).toBe(
      '0 B · 0 items',
    );
  });
  it('adds the files once the backup holds some', () => {
    expect(
      backupProgressText({ ...p, bytes: 5e6, items: 3, totalItems: 3, fileBytes: 12e6, totalFileBytes: 340e6 }, 'en-US'),
    ).toBe('5.0 MB · 3 of 3 items · files 12 MB of 340 MB');
  });
});
