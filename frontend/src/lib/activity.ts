// Reports user activity to the Go side so auto-lock measures real idle time,
// at most once per interval (docs/API.md: throttled to once per 10 s), since
// pointer moves fire far more often than that.

/** The throttle interval the API contract asks for. */
export const ACTIVITY_INTERVAL_MS = 10_000;

export interface ActivityReporter {
  /** Call on every input event; reports at most once per interval. */
  notify(): void;
}

/**
 * Creates a reporter. `now` is injectable so tests drive a fake clock;
 * a failed report (e.g. the vault locked meanwhile) is dropped, not shown.
 */
export function createActivityReporter(
  report: () => Promise<unknown>,
  now: () => number = Date.now,
  intervalMs: number = ACTIVITY_INTERVAL_MS,
): ActivityReporter {
  let last = Number.NEGATIVE_INFINITY;
  return {
    notify() {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      report().catch(() => {});
    },
  };
}
