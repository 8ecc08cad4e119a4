// A new passphrase being chosen — at account creation and when changing it:
// the two fields' text, the show-as-text choice, the zxcvbn-ts estimate (its
// dictionaries load in the background) and the rules of passphrase.ts. One
// instance per form; NewPassphraseFields shows it.

import { validateNewPassphrase, type NewPassphraseErrors } from './passphrase';
import type { Checker, Estimator, Strength } from './strength';

export interface NewPassphraseOptions {
  /** From Status; the Go side refuses shorter passphrases. */
  minLength: () => number;
  /** Words the estimate treats as guessable (the user's name, the app's). */
  userInputs: () => readonly string[];
}

export class NewPassphrase {
  passphrase = $state('');
  confirm = $state('');
  /** Show the passphrase fields as plain text. */
  show = $state(false);
  #checker = $state<Checker | null>(null);
  readonly #estimator: Estimator;
  readonly #options: NewPassphraseOptions;

  /** How guessable the passphrase is; null while empty or while the estimator loads. */
  readonly strength: Strength | null = $derived.by(() =>
    this.#checker && this.passphrase !== '' ? this.#checker(this.passphrase, this.#options.userInputs()) : null,
  );

  /** What is wrong with the two fields now (shown once the user tried to submit). */
  readonly errors: NewPassphraseErrors = $derived.by(() =>
    validateNewPassphrase(this.passphrase, this.confirm, this.#options.minLength(), this.strength),
  );

  constructor(estimator: Estimator, options: NewPassphraseOptions) {
    this.#estimator = estimator;
    this.#options = options;
    this.#checker = estimator.ready;
  }

  /** True while something is typed and the estimate cannot be made yet. */
  get loading(): boolean {
    return this.#checker === null && this.passphrase !== '';
  }

  /** Starts loading the estimator in the background (on mount). */
  load(): void {
    if (this.#checker) return;
    this.#estimator.load().then(
      (c) => (this.#checker = c),
      (err: unknown) => console.warn('hush: strength estimator failed to load', err),
    );
  }

  /**
   * Waits for the estimator before a submit is judged. If it cannot load,
   * only the length rules apply, and Go checks the length again.
   */
  async ready(): Promise<void> {
    if (this.#checker) return;
    try {
      this.#checker = await this.#estimator.load();
    } catch {
      // Length rules only.
    }
  }

  /**
   * The form is gone (its fields unmounted): drop the estimate's checker, here
   * and in the shared estimator, so its dictionaries do not stay in memory for
   * the rest of the session.
   */
  release(): void {
    this.#checker = null;
    this.#estimator.release();
  }

  /** Forgets what was typed (after Go accepted it). */
  clear(): void {
    this.passphrase = '';
    this.confirm = '';
  }
}
