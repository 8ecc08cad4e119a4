// Applies the theme preference to the document: data-theme="dark|light" on
// <html>, which the CSS keys on. "system" follows prefers-color-scheme live,
// so a change in the OS setting repaints without a reload.

import type { Theme } from './api';

const darkQuery = '(prefers-color-scheme: dark)';
/** localStorage key for the last theme, so the lock screen matches before unlock. */
export const THEME_STORAGE_KEY = 'hush.theme';

/** Owns the theme of one document. */
export interface ThemeController {
  /** The preference last set. */
  readonly preference: Theme;
  /** Applies a preference immediately. */
  set(theme: Theme): void;
  /** Stops following the system setting. */
  dispose(): void;
}

export interface ThemeDeps {
  root: HTMLElement;
  matchMedia?: ((query: string) => MediaQueryList) | undefined;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | undefined;
}

function isTheme(v: unknown): v is Theme {
  return v === 'system' || v === 'dark' || v === 'light';
}

/** Creates a controller and applies the remembered (or system) theme at once. */
export function createThemeController({ root, matchMedia, storage }: ThemeDeps): ThemeController {
  const mq = matchMedia?.(darkQuery);
  let preference: Theme = 'system';
  try {
    const saved = storage?.getItem(THEME_STORAGE_KEY);
    if (isTheme(saved)) preference = saved;
  } catch {
    // Storage can be unavailable (privacy settings); the default is fine.
  }

  function apply(): void {
    const dark = preference === 'dark' || (preference === 'system' && (mq?.matches ?? false));
    root.dataset['theme'] = dark ? 'dark' : 'light';
  }

  const onSystemChange = (): void => {
    if (preference === 'system') apply();
  };
  mq?.addEventListener('change', onSystemChange);
  apply();

  return {
    get preference() {
      return preference;
    },
    set(theme) {
      preference = theme;
      apply();
      try {
        storage?.setItem(THEME_STORAGE_KEY, theme);
      } catch {
        // Not remembering the theme only costs a repaint after unlock.
      }
    },
    dispose() {
      mq?.removeEventListener('change', onSystemChange);
    },
  };
}
