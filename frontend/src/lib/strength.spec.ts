import { describe, expect, it, vi } from 'vitest';
import { createEstimator, loadZxcvbnChecker, strengthLabel, type Checker } from './strength';

describe('zxcvbn checker', () => {
  // Loads the real dictionaries once for the whole block.
  const checker = loadZxcvbnChecker();

  it.each([
    ['password', 0],
    ['qwertyuiop', 0],
    ['iloveyou', 0],
    ['password1', 0],
  ])('scores the well-known %j as 0', async (pass, score) => {
    expect((await checker)(pass, []).score).toBe(score);
  });

  it('scores a long phrase of unrelated words as strong', async () => {
    const s = (await checker)('velvet orbit quartz lantern 93', []);
    expect(s.score).toBeGreaterThanOrEqual(3);
    expect(['good', 'strong']).toContain(s.label);
  });

  it('treats the user inputs (the display name) as guessable', async () => {
    const check = await checker;
    const without = check('zebedeewaxworth', []);
    const withName = check('zebedeewaxworth', ['zebedeewaxworth']);
    expect(withName.score).toBeLessThan(without.score);
  });

  it('gives a warning for a weak passphrase', async () => {
    const s = (await checker)('password', []);
    expect(s.label).toBe('too easy to guess');
    expect(s.warning.length + s.suggestions.length).toBeGreaterThan(0);
  });
});

describe('createEstimator', () => {
  const fake: Checker = () => ({ score: 2, label: 'fair', warning: '', suggestions: [] });

  it('loads once and shares the checker', async () => {
    const loader = vi.fn(async () => fake);
    const est = createEstimator(loader);
    expect(est.ready).toBeNull();
    const [a, b] = await Promise.all([est.load(), est.load()]);
    expect(a).toBe(fake);
    expect(b).toBe(fake);
    expect(est.ready).toBe(fake);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('retries after a failed load', async () => {
    const loader = vi.fn().mockRejectedValueOnce(new Error('chunk failed')).mockResolvedValueOnce(fake);
    const est = createEstimator(loader);
    await expect(est.load()).rejects.toThrow('chunk failed');
    await expect(est.load()).resolves.toBe(fake);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('lets the checker go on release, and loads it again when asked', async () => {
    const loader = vi.fn(async () => fake);
    const est = createEstimator(loader);
    await est.load();
    est.release();
    expect(est.ready).toBeNull();
    await expect(est.load()).resolves.toBe(fake);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing of a load released before it ended', async () => {
    let finish: (c: Checker) => void = () => {};
    const loader = vi.fn(() => new Promise<Checker>((resolve) => (finish = resolve)));
    const est = createEstimator(loader);
    const late = est.load();
    est.release();
    finish(fake);
    await expect(late).resolves.toBe(fake); // its caller still gets an answer
    expect(est.ready).toBeNull();
  });
});

it.each([
  [0, 'too easy to guess'],
  [1, 'weak'],
  [2, 'fair'],
  [3, 'good'],
  [4, 'strong'],
] as const)('strengthLabel(%i) = %s', (score, label) => {
  expect(strengthLabel(score)).toBe(label);
});
