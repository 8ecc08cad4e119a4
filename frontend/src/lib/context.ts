// What every component may reach: the API and the app's stores, passed via
// Svelte context from App.svelte (or a test) instead of module globals.

import { getContext, setContext } from 'svelte';
import type { Api } from './api';
import type { Estimator } from './strength';
import type { ThemeController } from './theme';
import type { SessionStore } from './stores/session.svelte';
import type { SettingsStore } from './stores/settings.svelte';

export interface AppContext {
  api: Api;
  session: SessionStore;
  settings: SettingsStore;
  theme: ThemeController;
  strength: Estimator;
}

const key = Symbol('hush-app');

/** The context key, for tests that render a component with its own context. */
export const APP_CONTEXT_KEY = key;

export function setAppContext(ctx: AppContext): void {
  setContext(key, ctx);
}

export function getAppContext(): AppContext {
  const ctx = getContext<AppContext | undefined>(key);
  if (!ctx) throw new Error('Hush app context is missing');
  return ctx;
}
