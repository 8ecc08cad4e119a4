import { describe, expect, it, vi } from 'vitest';
import { ACTIVITY_INTERVAL_MS, createActivityReporter } from './activity';

describe('activity reporter', () => {
  it('reports at most once per 10 s on a fake clock', () => {
    let now = 1_000_000;
    const report = vi.fn(async () => {});
    const r = createActivityReporter(report, () => now);

    r.notify();
    expect(report).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) {
      now += 100;
      r.notify();
    }
    expect(report).toHaveBeenCalledTimes(1); // 5 s later: still throttled
    now = 1_000_000 + ACTIVITY_INTERVAL_MS - 1;
    r.notify();
    expect(report).toHaveBeenCalledTimes(1);
    now += 1;
    r.notify();
    expect(report).toHaveBeenCalledTimes(2);
  });

  it('swallows a failed report (the vault may have locked meanwhile)', async () => {
    const report = vi.fn(async () => {
      throw new Error('vault is locked');
    });
    const r = createActivityReporter(report, () => 0);
    expect(() => r.notify()).not.toThrow();
    await Promise.resolve();
    expect(report).toHaveBeenCalledTimes(1);
  });
});
