import { describe, expect, it } from 'vitest';
import { formatWait, parseWaitMs } from './wait';

describe('parseWaitMs', () => {
  it.each([
    ['wrong passphrase', 0],
    // The Go side's own messages (app/account.go).
    ['Wrong passphrase. Try again in 2 seconds.', 2_000],
    ['Too many wrong passphrases. Try again in 1 second.', 1_000],
    ['Too many wrong passphrases. Try again in 300 seconds.', 300_000],
    ['', 0],
    ['too many attempts; try again in 30s', 30_000],
    ['too many attempts: retry after 1m30s', 90_000],
    ['wait 1.5s', 1_500],
    ['locked out for 2m0s', 120_000],
    ['retry in 250ms', 250],
    ['try again in 1h0m0s', 3_600_000],
    ['try again in 45 seconds', 45_000],
    ['Try again in 2 minutes', 120_000],
    ['wait 1 second', 1_000],
    ['wait 500 milliseconds', 500],
    ['vault version 3 is newer than this Hush (2)', 0],
    ['cannot open /home/x/hush-data/vault.db', 0],
    ['key ab12s34 rejected', 0],
  ])('%j → %i ms', (message, want) => {
    expect(parseWaitMs(message)).toBe(want);
  });
});

describe('formatWait', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [999, '1 second'],
    [1_000, '1 second'],
    [1_001, '2 seconds'],
    [59_000, '59 seconds'],
    [60_000, '1:00'],
    [125_000, '2:05'],
  ])('%i ms → %s', (ms, want) => {
    expect(formatWait(ms)).toBe(want);
  });
});
