import { describe, expect, it } from 'vitest';
import { charCount, validateNewPassphrase } from './passphrase';
import type { Strength } from './strength';

const weak: Strength = { score: 1, label: 'weak', warning: '', suggestions: [] };
const guessable: Strength = { score: 0, label: 'too easy to guess', warning: '', suggestions: [] };

describe('validateNewPassphrase', () => {
  it.each([
    ['empty', '', '', 12, weak, { passphrase: 'Enter a passphrase.' }],
    ['too short', 'short one', 'short one', 12, weak, { passphrase: 'Use at least 12 characters (now 9).' }],
    [
      'too short counts characters, not UTF-16 units',
      '🔒🔒🔒🔒🔒',
      '🔒🔒🔒🔒🔒',
      6,
      weak,
      { passphrase: 'Use at least 6 characters (now 5).' },
    ],
    [
      'score 0',
      'password1234',
      'password1234',
      12,
      guessable,
      { passphrase: 'This passphrase is too easy to guess. Add more words or characters.' },
    ],
    ['mismatch', 'long enough words', 'long enough word', 12, weak, { confirm: 'The passphrases do not match.' }],
    ['no confirmation', 'long enough words', '', 12, weak, { confirm: 'Repeat the passphrase.' }],
    ['fine', 'long enough words', 'long enough words', 12, weak, {}],
    ['estimator still loading', 'password1234', 'password1234', 12, null, {}],
  ])('%s', (_name, pass, confirm, min, strength, want) => {
    expect(validateNewPassphrase(pass, confirm, min, strength)).toEqual(want);
  });

  it('counts astral characters once', () => {
    expect(charCount('a🔒b')).toBe(3);
  });
});
