// Reading and showing unlock back-off waits. The Go side reports the wait as
// Status.retryAfterMs, and its error message names it too ("try again in
// 30s"); the message is the fallback when Status cannot be read.

const goUnitMs: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

// A Go time.Duration as printed by String(): "30s", "1m30s", "1.5s", "250ms".
const goDuration = /(?<![\w.])((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|h|m|s))+)(?![\w])/u;
const goPart = /(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)/gu;
// Words: "30 seconds", "2 minutes", "1 hour", "500 milliseconds".
const wordDuration =
  /(\d+(?:\.\d+)?)\s*(milliseconds?|millis|seconds?|secs?|minutes?|mins?|hours?|hrs?)\b/i;

function wordUnitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('milli')) return 1;
  if (u.startsWith('s')) return 1_000;
  if (u.startsWith('m')) return 60_000;
  return 3_600_000;
}

/** The wait named in an error message, in ms; 0 when it names none. */
export function parseWaitMs(message: string): number {
  const go = goDuration.exec(message);
  if (go?.[1]) {
    let total = 0;
    for (const [, n, unit] of go[1].matchAll(goPart)) {
      total += Number(n) * (goUnitMs[unit ?? ''] ?? 0);
    }
    if (total > 0) return Math.ceil(total);
  }
  const words = wordDuration.exec(message);
  if (words?.[1] && words[2]) {
    return Math.ceil(Number(words[1]) * wordUnitMs(words[2]));
  }
  return 0;
}

/** A remaining wait for people: "1 second", "45 seconds", "2:05". */
export function formatWait(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.floor(s / 60);
  const rest = String(s % 60).padStart(2, '0');
  return `${m}:${rest}`;
}
