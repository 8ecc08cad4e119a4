// Rules for a new passphrase, shared by the welcome screen and the change-
// passphrase dialog. The Go side enforces the minimum length too; these rules
// exist so people learn what is wrong before a slow Argon2id round trip.

import { MIN_ACCEPTED_SCORE, type Strength } from './strength';

/** Field-keyed error messages; a missing key means the field is fine. */
export interface NewPassphraseErrors {
  passphrase?: string;
  confirm?: string;
}

/** Length in characters as people count them (code points, not UTF-16 units). */
export function charCount(s: string): number {
  return [...s].length;
}

/**
 * Checks a new passphrase and its confirmation. `strength` is null while the
 * estimator loads; then only the length rules apply.
 */
export function validateNewPassphrase(
  passphrase: string,
  confirm: string,
  minLength: number,
  strength: Strength | null,
): NewPassphraseErrors {
  const errors: NewPassphraseErrors = {};
  if (passphrase === '') {
    errors.passphrase = 'Enter a passphrase.';
  } else if (charCount(passphrase) < minLength) {
    errors.passphrase = `Use at least ${minLength} characters (now ${charCount(passphrase)}).`;
  } else if (strength && strength.score < MIN_ACCEPTED_SCORE) {
    errors.passphrase = 'This passphrase is too easy to guess. Add more words or characters.';
  }
  if (confirm !== passphrase) {
    errors.confirm = confirm === '' ? 'Repeat the passphrase.' : 'The passphrases do not match.';
  }
  return errors;
}
