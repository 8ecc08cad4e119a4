// Renders a component with the app context a test builds, so components are
// tested against their real stores and theme controller, with only the Go
// side faked.

import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { vi, type Mock } from 'vitest';
import { APP_CONTEXT_KEY, type AppContext } from '../context';
import { MESSENGER_CONTEXT_KEY, type Messenger, type MessengerEnv } from '../messenger.svelte';
import { SessionStore } from '../stores/session.svelte';
import { SettingsStore } from '../stores/settings.svelte';
import { createEstimator, type Checker, type Estimator } from '../strength';
import { createThemeController } from '../theme';
import { createFakeApi, type FakeApi } from './fakeApi';

export interface TestContext extends AppContext {
  api: FakeApi;
}

export interface ContextOptions {
  api?: FakeApi;
  strength?: Estimator;
}

/** An estimator that never loads dictionaries: length-only scores, for fast tests. */
export function instantEstimator(checker: Checker): Estimator {
  const est = createEstimator(async () => checker);
  void est.load();
  return est;
}

export function createTestContext(opts: ContextOptions = {}): TestContext {
  return {
    api: opts.api ?? createFakeApi(),
    session: new SessionStore(),
    settings: new SettingsStore(),
    theme: createThemeController({ root: document.documentElement }),
    strength: opts.strength ?? createEstimator(),
  };
}

/** An environment where the user is looking and nothing is notified. */
export function attentiveEnv(): MessengerEnv & { attentive: Mock<() => boolean> } {
  return { attentive: vi.fn(() => true) };
}

export function renderWithContext<Props extends Record<string, unknown>>(
  component: Component<Props>,
  props: Props,
  ctx: TestContext = createTestContext(),
  messenger?: Messenger,
) {
  // Props are checked at the call site by this function's signature; the
  // library's conditional option types cannot be resolved for a generic Props.
  const context = new Map<unknown, unknown>([[APP_CONTEXT_KEY, ctx]]);
  if (messenger) context.set(MESSENGER_CONTEXT_KEY, messenger);
  const options = { props, context };
  const result = render(component, options as Parameters<typeof render<Component<Props>>>[1]);
  return { ...result, ctx, messenger };
}
