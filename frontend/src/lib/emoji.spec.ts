import { describe, expect, it } from 'vitest';
import {
  MAX_RECENT,
  MAX_SEARCH_RESULTS,
  RECENT_STORAGE_KEY,
  emojiData,
  emojiKey,
  loadEmoji,
  readRecent,
  recentGroup,
  rememberEmoji,
  searchEmoji,
} from './emoji';
import { QUICK_REACTIONS } from './messageActions';
import { memoryStorage } from './testing/storage';

/** Unicode's groups, as the picker's tabs name them. */
const GROUP_LABELS = [
  'Smileys & emotion',
  'People & body',
  'Animals & nature',
  'Food & drink',
  'Travel & places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];

describe('emoji data', () => {
  it('loads Unicode’s groups with names, leaving out skin tone components', async () => {
    const data = await loadEmoji();
    expect(data.groups.map((g) => g.label)).toEqual(GROUP_LABELS);
    expect(data.groups[0]!.emoji[0]).toMatchObject({ unicode: '😀', label: 'grinning face' });
    const all = data.groups.flatMap((g) => g.emoji);
    expect(all.length).toBeGreaterThan(1800);
    expect(all.some((e) => e.label.includes('skin tone') && !e.label.includes(':'))).toBe(false);
    // Every quick reaction is in it, with or without U+FE0F.
    for (const r of QUICK_REACTIONS) expect(data.byKey.get(emojiKey(r))).toBeDefined();
  });

  it('is bundled with only the fields the picker reads (vite.config.ts slims it)', async () => {
    const raw = (await import('emojibase-data/en/compact.json')).default as unknown as Record<string, unknown>[];
    const fields = new Set(raw.flatMap((e) => Object.keys(e)));
    expect([...fields].sort()).toEqual(['group', 'label', 'tags', 'unicode']);
  });

  it('skips entries that are not shaped as expected', () => {
    const data = emojiData([
      { group: 0, unicode: '😀', label: 'grinning face', tags: ['smile', 3] },
      { group: 0, unicode: 7, label: 'bad' },
      { group: 2, unicode: '🏻', label: 'light skin tone' },
      { unicode: '🇦', label: 'regional indicator A' },
      null,
      'x',
    ]);
    expect(data.groups.flatMap((g) => g.emoji)).toEqual([{ unicode: '😀', label: 'grinning face', tags: ['smile'] }]);
    expect(emojiData({ not: 'a list' }).byKey.size).toBe(0);
  });

  it('finds emoji by name and by words, names starting with the query first', async () => {
    const data = await loadEmoji();
    const grinning = searchEmoji(data, 'grinning');
    expect(grinning[0]!.label).toMatch(/^grinning/);
    expect(searchEmoji(data, 'happy').map((e) => e.unicode)).toContain('😀'); // a tag, not in the name
    expect(searchEmoji(data, 'RED heart').map((e) => e.label)).toContain('red heart');
    expect(searchEmoji(data, '   ')).toEqual([]);
    expect(searchEmoji(data, 'zzzz-nothing')).toEqual([]);
    expect(searchEmoji(data, 'a').length).toBe(MAX_SEARCH_RESULTS);
  });
});

describe('recently used emoji', () => {
  it('keeps the newest first, once each, at most MAX_RECENT', () => {
    const storage = memoryStorage();
    rememberEmoji(storage, '😀');
    rememberEmoji(storage, '👍');
    rememberEmoji(storage, '😀');
    expect(readRecent(storage)).toEqual(['😀', '👍']);
    for (let i = 0; i < 40; i++) rememberEmoji(storage, String.fromCodePoint(0x1f600 + i));
    expect(readRecent(storage)).toHaveLength(MAX_RECENT);
  });

  it('reads damaged or refused storage as none, and works without storage', () => {
    expect(readRecent(memoryStorage({ [RECENT_STORAGE_KEY]: '{not json' }))).toEqual([]);
    expect(readRecent(memoryStorage({ [RECENT_STORAGE_KEY]: '{"a":1}' }))).toEqual([]);
    expect(readRecent(memoryStorage({ [RECENT_STORAGE_KEY]: '["😀", 3, "' + 'x'.repeat(40) + '"]' }))).toEqual(['😀']);
    const refusing = { getItem: () => null, setItem: () => { throw new Error('quota'); } };
    expect(() => rememberEmoji(refusing, '😀')).not.toThrow();
    expect(readRecent(undefined)).toEqual([]);
  });

  it('fills the recent tab with the quick reactions while there are few', async () => {
    const data = await loadEmoji();
    expect(recentGroup(data, [], QUICK_REACTIONS).emoji.map((e) => emojiKey(e.unicode))).toEqual(QUICK_REACTIONS.map(emojiKey));
    const mixed = recentGroup(data, ['🐶', '👍️'], QUICK_REACTIONS).emoji.map((e) => emojiKey(e.unicode));
    expect(mixed.slice(0, 2)).toEqual(['🐶', '👍']);
    expect(mixed.filter((e) => e === '👍')).toHaveLength(1);
  });
});
