// The emoji the picker offers: Unicode's list with English names and search
// words, from the emojibase-data package, loaded only when the picker first
// opens (its own chunk of about 0.2 MB, slimmed by vite.config.ts), so the
// window's first load and memory do not carry it. Recently used emoji are
// kept in the WebView's localStorage: not secret (docs/SECURITY.md,
// "Formatting, links and link previews").

/** One emoji: the characters it inserts, its name (the button's name), and words that find it. */
export interface Emoji {
  unicode: string;
  label: string;
  tags: readonly string[];
}

/** A tab of the picker. */
export interface EmojiGroup {
  key: string;
  label: string;
  emoji: readonly Emoji[];
}

/** Unicode's groups, in its order; emojibase numbers them (2, the skin tone components, is left out). */
const GROUPS: readonly (readonly [number, string, string])[] = [
  [0, 'smileys', 'Smileys & emotion'],
  [1, 'people', 'People & body'],
  [3, 'nature', 'Animals & nature'],
  [4, 'food', 'Food & drink'],
  [5, 'travel', 'Travel & places'],
  [6, 'activities', 'Activities'],
  [7, 'objects', 'Objects'],
  [8, 'symbols', 'Symbols'],
  [9, 'flags', 'Flags'],
];

/** How many recently used emoji are kept (three rows of the grid). */
export const MAX_RECENT = 24;

/** The localStorage key of the recently used emoji. */
export const RECENT_STORAGE_KEY = 'hush.recentEmoji';

/** How many emoji a search shows at most. */
export const MAX_SEARCH_RESULTS = 160;

/** The same emoji with or without its presentation selector (U+FE0F) matches. */
export function emojiKey(unicode: string): string {
  return unicode.replaceAll('\uFE0F', '');
}

/** The picker's data: the groups in order, and every emoji by key. */
export interface EmojiData {
  groups: readonly EmojiGroup[];
  byKey: ReadonlyMap<string, Emoji>;
}

/**
 * Builds the picker's data from emojibase's compact list; entries that are not
 * shaped as expected are skipped rather than trusted.
 */
export function emojiData(raw: unknown): EmojiData {
  const lists = new Map<number, Emoji[]>(GROUPS.map(([n]) => [n, []]));
  const byKey = new Map<string, Emoji>();
  for (const entry of Array.isArray(raw) ? (raw as unknown[]) : []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { group, unicode, label, tags } = entry as Record<string, unknown>;
    const list = typeof group === 'number' ? lists.get(group) : undefined;
    if (!list || typeof unicode !== 'string' || typeof label !== 'string') continue;
    const emoji: Emoji = {
      unicode,
      label,
      tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    };
    list.push(emoji);
    byKey.set(emojiKey(unicode), emoji);
  }
  return {
    groups: GROUPS.map(([n, key, label]) => ({ key, label, emoji: lists.get(n)! })),
    byKey,
  };
}

/** Loads the emoji list: a chunk of its own, fetched on first use. */
export async function loadEmoji(): Promise<EmojiData> {
  const mod: { default: unknown } = await import('emojibase-data/en/compact.json');
  return emojiData(mod.default);
}

/**
 * The emoji whose name or words contain every word of the query (case
 * ignored), names that start with the query first.
 */
export function searchEmoji(data: EmojiData, query: string): Emoji[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const first: Emoji[] = [];
  const rest: Emoji[] = [];
  for (const group of data.groups) {
    for (const e of group.emoji) {
      const label = e.label.toLowerCase();
      const found = words.every((w) => label.includes(w) || e.tags.some((t) => t.includes(w)));
      if (!found) continue;
      (label.startsWith(words[0]!) ? first : rest).push(e);
    }
  }
  return [...first, ...rest].slice(0, MAX_SEARCH_RESULTS);
}

/** The WebView's localStorage, or undefined where it is refused (privacy settings). */
export function browserStorage(): RecentStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** What the picker needs of localStorage. */
export type RecentStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** The recently used emoji, newest first; unreadable storage reads as none. */
export function readRecent(storage: RecentStorage | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(RECENT_STORAGE_KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((e): e is string => typeof e === 'string' && e.length <= 32).slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

/** Puts an emoji first among the recently used; a storage that refuses is ignored. */
export function rememberEmoji(storage: RecentStorage | undefined, unicode: string): void {
  const key = emojiKey(unicode);
  const next = [unicode, ...readRecent(storage).filter((e) => emojiKey(e) !== key)].slice(0, MAX_RECENT);
  try {
    storage?.setItem(RECENT_STORAGE_KEY, JSON.stringify(next));
  } catch {
    // Private modes and full storage: the picker works without its memory.
  }
}

/**
 * The "Recently used" tab: the emoji used last, then `fill` (the quick
 * reactions of a message's menu) while there are few.
 */
export function recentGroup(data: EmojiData, recent: readonly string[], fill: readonly string[]): EmojiGroup {
  const seen = new Set<string>();
  const emoji: Emoji[] = [];
  for (const unicode of [...recent, ...fill]) {
    const key = emojiKey(unicode);
    const found = data.byKey.get(key);
    if (!found || seen.has(key)) continue;
    seen.add(key);
    emoji.push(found);
  }
  return { key: 'recent', label: 'Recently used', emoji: emoji.slice(0, MAX_RECENT) };
}
