// The Intl formatters the UI draws with, made once per locale and options and
// reused. Each Intl object holds ICU state outside the JavaScript heap (a
// DateTimeFormat ~50 KB of it, with its pattern generator), which the engine's
// collector does not see as pressure: one made per message time drawn kept the
// desktop window's web process megabytes larger with a long chat open
// (docs/PERFORMANCE.md, "Desktop cold start and memory").

/** Past this many distinct formatters the cache starts again (a bound, never reached in practice). */
const MAX_CACHED = 64;

const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.Segmenter>();

function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.Segmenter>(
  kind: string,
  locale: string | undefined,
  options: object | undefined,
  make: () => T,
): T {
  const key = `${kind}\u0000${locale ?? ''}\u0000${JSON.stringify(options ?? {})}`;
  let f = cache.get(key);
  if (f === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    f = make();
    cache.set(key, f);
  }
  return f as T;
}

/** A DateTimeFormat for locale (the user's when undefined) and options, made once. */
export function dateTimeFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  // A formatter keeps the time zone it was made in: one made before the
  // computer moved to another zone is not used after (the offset now is a
  // cheap sign of the move; a DST change makes one new formatter, harmlessly).
  const zone = options.timeZone ?? `offset ${new Date().getTimezoneOffset()}`;
  return cached(`date ${zone}`, locale, options, () => new Intl.DateTimeFormat(locale, options));
}

/** A NumberFormat for locale (the user's when undefined) and options, made once. */
export function numberFormat(locale: string | undefined, options?: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached('number', locale, options, () => new Intl.NumberFormat(locale, options));
}

/** The user's grapheme segmenter, made once; null where the engine has none. */
export function graphemeSegmenter(): Intl.Segmenter | null {
  const Segmenter = (Intl as { Segmenter?: typeof Intl.Segmenter }).Segmenter;
  if (!Segmenter) return null;
  return cached('segment', undefined, undefined, () => new Segmenter(undefined, { granularity: 'grapheme' }));
}
