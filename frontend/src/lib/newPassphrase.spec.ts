import { describe, expect, it, vi } from 'vitest';
import { NewPassphrase } from './newPassphrase.svelte';
import { createEstimator, type Checker } from './strength';

describe('NewPassphrase', () => {
  const lengthOnly: Checker = (p) => ({ score: p.length > 20 ? 4 : 0, label: '', warning: '', suggestions: [] });

  it('judges by length alone when the estimator cannot load', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const form = new NewPassphrase(createEstimator(async () => Promise.reject(new Error('offline'))), {
      minLength: () => 12,
      userInputs: () => [],
    });
    form.passphrase = 'short';
    form.confirm = 'short';
    expect(form.loading).toBe(true);
    await form.ready();
    expect(form.strength).toBeNull();
    expect(form.errors).toEqual({ passphrase: 'Use at least 12 characters (now 5).' });
    form.passphrase = form.confirm = 'twelve chars';
    expect(form.errors).toEqual({});
    form.load();
    await vi.waitFor(() => expect(warn).toHaveBeenCalled());
  });

  it('scores with the user’s words once loaded, and forgets on clear', async () => {
    const inputs: string[][] = [];
    const checker: Checker = (p, words) => {
      inputs.push([...words]);
      return lengthOnly(p, words);
    };
    const form = new NewPassphrase(createEstimator(async () => checker), {
      minLength: () => 12,
      userInputs: () => ['Ada', 'hush'],
    });
    form.passphrase = 'easy to guess';
    form.confirm = 'easy to guess';
    await form.ready();
    expect(form.strength?.score).toBe(0);
    expect(form.errors.passphrase).toMatch(/too easy to guess/);
    expect(inputs.at(-1)).toEqual(['Ada', 'hush']);
    form.clear();
    expect([form.passphrase, form.confirm, form.strength]).toEqual(['', '', null]);
  });
});
