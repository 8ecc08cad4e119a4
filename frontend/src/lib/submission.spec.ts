import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { Submission } from './submission.svelte';

describe('Submission', () => {
  it('sends one request at a time and reports success', async () => {
    const s = new Submission();
    let finish!: () => void;
    const send = vi.fn(() => new Promise<void>((r) => (finish = r)));
    expect(s.begin()).toBe(true);
    expect(s.attempted).toBe(true);
    const first = s.run(send);
    expect(s.busy).toBe(true);
    expect(s.begin()).toBe(false);
    await expect(s.run(send)).resolves.toBe(false);
    expect(send).toHaveBeenCalledTimes(1);
    finish();
    await expect(first).resolves.toBe(true);
    expect(s.busy).toBe(false);
    expect(s.failure).toBe('');
  });

  it('keeps Go’s message, after the failure hook ran while still busy', async () => {
    const s = new Submission();
    const seen: [string, boolean][] = [];
    const ok = await s.run(
      async () => {
        throw new ApiError('wrong passphrase', 422);
      },
      (message) => {
        seen.push([message, s.busy]);
        expect(s.failure).toBe('');
      },
    );
    expect(ok).toBe(false);
    expect(seen).toEqual([['wrong passphrase', true]]);
    expect(s.failure).toBe('wrong passphrase');
    expect(s.busy).toBe(false);
    // The next try starts clean.
    expect(s.begin()).toBe(true);
    expect(s.failure).toBe('');
  });
});
