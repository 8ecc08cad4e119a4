// Calls a function at most once per interval, dropping calls in between:
// for signals that only say "still happening" (typing), where the next call
// after the interval carries the same news.

export function createThrottle(fn: () => void, intervalMs: number, now: () => number = Date.now): () => void {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    fn();
  };
}
