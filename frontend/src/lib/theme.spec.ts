import { afterEach, describe, expect, it } from 'vitest';
import { THEME_STORAGE_KEY, createThemeController } from './theme';
import { memoryStorage } from './testing/storage';

// A media query list whose "matches" the test flips, as the OS setting would.
function fakeMedia(initialDark: boolean) {
  const listeners = new Set<() => void>();
  const mql = {
    matches: initialDark,
    addEventListener: (_: string, l: () => void) => listeners.add(l),
    removeEventListener: (_: string, l: () => void) => listeners.delete(l),
  } as unknown as MediaQueryList;
  return {
    matchMedia: (q: string) => {
      expect(q).toBe('(prefers-color-scheme: dark)');
      return mql;
    },
    flip(dark: boolean) {
      (mql as { matches: boolean }).matches = dark;
      for (const l of listeners) l();
    },
    listenerCount: () => listeners.size,
  };
}

afterEach(() => {
  delete document.documentElement.dataset['theme'];
});

describe('theme controller', () => {
  it.each([
    ['system, OS light', 'system', false, 'light'],
    ['system, OS dark', 'system', true, 'dark'],
    ['dark on a light OS', 'dark', false, 'dark'],
    ['light on a dark OS', 'light', true, 'light'],
  ] as const)('%s → data-theme=%s', (_name, pref, osDark, want) => {
    const media = fakeMedia(osDark);
    const root = document.documentElement;
    const theme = createThemeController({ root, matchMedia: media.matchMedia });
    theme.set(pref);
    expect(root.dataset['theme']).toBe(want);
  });

  it('follows the OS while on system, and stops following on an explicit choice', () => {
    const media = fakeMedia(false);
    const root = document.documentElement;
    const theme = createThemeController({ root, matchMedia: media.matchMedia });
    expect(root.dataset['theme']).toBe('light');
    media.flip(true);
    expect(root.dataset['theme']).toBe('dark');
    theme.set('light');
    media.flip(true);
    expect(root.dataset['theme']).toBe('light');
    theme.dispose();
    expect(media.listenerCount()).toBe(0);
  });

  it('remembers the choice and applies it on the next start', () => {
    const storage = memoryStorage();
    const root = document.documentElement;
    createThemeController({ root, storage }).set('dark');
    expect(storage.data.get(THEME_STORAGE_KEY)).toBe('dark');
    delete root.dataset['theme'];
    const next = createThemeController({ root, storage });
    expect(next.preference).toBe('dark');
    expect(root.dataset['theme']).toBe('dark');
  });

  it('ignores a garbage remembered value', () => {
    const root = document.documentElement;
    const t = createThemeController({ root, storage: memoryStorage({ [THEME_STORAGE_KEY]: 'pink' }) });
    expect(t.preference).toBe('system');
    expect(root.dataset['theme']).toBe('light');
  });
});
