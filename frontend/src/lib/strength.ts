// Passphrase strength, estimated with zxcvbn-ts (docs/ARCHITECTURE.md,
// "Dependencies": a realistic estimator instead of length-only rules). The dictionaries are ~2 MB, so
// they load lazily, once per Estimator, when a screen first asks.

import type { ZxcvbnResult } from '@zxcvbn-ts/core';

/** zxcvbn's score: 0 (too guessable) … 4 (very unguessable). */
export type Score = 0 | 1 | 2 | 3 | 4;

/** The result a strength meter shows. */
export interface Strength {
  score: Score;
  /** Short word for the score, e.g. "weak"; read as "Strength: weak". */
  label: string;
  /** zxcvbn's main warning, if any ("This is a very common password"). */
  warning: string;
  suggestions: string[];
}

/** Score 0 is refused outright: it means "found in a list or trivially guessable". */
export const MIN_ACCEPTED_SCORE: Score = 1;

const labels: Record<Score, string> = {
  0: 'too easy to guess',
  1: 'weak',
  2: 'fair',
  3: 'good',
  4: 'strong',
};

/** The word shown for a score. */
export function strengthLabel(score: Score): string {
  return labels[score];
}

/** Checks passphrases; `userInputs` (name, app name) count as guessable words. */
export type Checker = (passphrase: string, userInputs: readonly string[]) => Strength;

/** Loads the estimator on first use and shares it between screens. */
export interface Estimator {
  /** The checker once loaded; null while loading. */
  readonly ready: Checker | null;
  load(): Promise<Checker>;
  /**
   * Drops the loaded checker, so the dictionaries built into its matchers
   * (~50 MB in the web process) can be collected once no passphrase is being
   * chosen; the next load builds them again from the modules already fetched.
   */
  release(): void;
}

function toStrength(r: ZxcvbnResult): Strength {
  const score = r.score as Score;
  return {
    score,
    label: strengthLabel(score),
    warning: r.feedback.warning ?? '',
    suggestions: r.feedback.suggestions,
  };
}

/** Builds the zxcvbn-ts checker with the common and English dictionaries. */
export async function loadZxcvbnChecker(): Promise<Checker> {
  const [core, common, en] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]);
  const zxcvbn = new core.ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  return (passphrase, userInputs) => toStrength(zxcvbn.check(passphrase, [...userInputs]));
}

/** An Estimator over a loader (zxcvbn by default). */
export function createEstimator(loader: () => Promise<Checker> = loadZxcvbnChecker): Estimator {
  let ready: Checker | null = null;
  let pending: Promise<Checker> | null = null;
  let generation = 0; // a load released before it ended keeps nothing
  return {
    get ready() {
      return ready;
    },
    load() {
      const mine = generation;
      pending ??= loader().then(
        (c) => {
          if (mine === generation) ready = c;
          return c;
        },
        (err: unknown) => {
          if (mine === generation) pending = null; // let a later call retry
          throw err;
        },
      );
      return pending;
    },
    release() {
      generation++;
      ready = null;
      pending = null;
    },
  };
}
