import { describe, expect, it } from 'vitest';
import { keepRows } from './virtual.svelte';

describe('keepRows', () => {
  const range = { startIndex: 10, endIndex: 12, overscan: 2, count: 100 };

  it.each([
    ['nothing to keep', [], [8, 9, 10, 11, 12, 13, 14]],
    ['a row already in range', [11], [8, 9, 10, 11, 12, 13, 14]],
    ['a row far below, in order', [90], [8, 9, 10, 11, 12, 13, 14, 90]],
    ['rows on both sides', [99, 0], [0, 8, 9, 10, 11, 12, 13, 14, 99]],
    ['undefined and out-of-range indexes ignored', [undefined, -1, 100], [8, 9, 10, 11, 12, 13, 14]],
  ] as const)('%s', (_name, keep, want) => {
    expect(keepRows(...keep)(range)).toEqual(want);
  });
});
