// A small in-memory stand-in for the Go side, for component tests only
// (there is no Go backend in unit tests; the e2e suite drives the real one).
// It keeps just enough state — vault state, passphrase, settings — for the
// screens to behave as they would against Go, and every method is a vi.fn
// so tests can assert calls or override one answer.

import { vi, type Mock } from 'vitest';
import {
  ApiError,
  type AccountService,
  type Api,
  type EventMap,
  type EventName,
  type Profile,
  type Settings,
  type SettingsService,
  type Status,
} from '../api';

type Mocked<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? Mock<(...a: A) => R> : T[K] };

export interface FakeApi extends Api {
  readonly account: Mocked<AccountService>;
  readonly settings: Mocked<SettingsService>;
  /** Delivers an event as Go would. */
  emit<K extends EventName>(name: K, payload: EventMap[K]): void;
  /** Simulates the event stream coming back after a drop. */
  reconnect(): void;
  /** The fake backend's state, for assertions and set-up. */
  backend: {
    status: Status;
    passphrase: string;
    settings: Settings;
  };
}

export const sampleSettings: Settings = {
  theme: 'system',
  autoLockMinutes: 15,
  deviceName: 'Laptop',
  displayName: 'Ada',
  accountFingerprint: 'hush-acct:3f2a 91bc 0d44 e7a1 5c09 b2de 7781 aa40',
  deviceFingerprint: 'hush-dev:7c11 02ef 9ab3 4d5e',
  dataDir: '/home/ada/.config/Hush',
  portable: false,
  version: '0.1.0-test',
};

export function profileOf(s: Settings): Profile {
  return {
    displayName: s.displayName,
    accountFingerprint: s.accountFingerprint,
    deviceId: 'dev-1',
    deviceName: s.deviceName,
  };
}

export function createFakeApi(initial: Partial<Status> = {}): FakeApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const reconnects = new Set<() => void>();
  const backend = {
    status: { state: 'locked', retryAfterMs: 0, minPassphraseLength: 12, ...initial } as Status,
    passphrase: 'correct horse battery staple',
    settings: { ...sampleSettings },
  };

  const unlockedOnly = (): void => {
    if (backend.status.state !== 'unlocked') throw new ApiError('vault is locked', 409);
  };

  const account = {
    status: vi.fn(async () => ({ ...backend.status })),
    create: vi.fn(async (displayName: string, passphrase: string) => {
      if (backend.status.state !== 'new') throw new ApiError('account already exists', 409);
      backend.passphrase = passphrase;
      backend.settings = { ...backend.settings, displayName };
      backend.status = { ...backend.status, state: 'unlocked' };
      return profileOf(backend.settings);
    }),
    unlock: vi.fn(async (passphrase: string) => {
      if (passphrase !== backend.passphrase) throw new ApiError('wrong passphrase', 422);
      backend.status = { ...backend.status, state: 'unlocked', retryAfterMs: 0 };
      return profileOf(backend.settings);
    }),
    lock: vi.fn(async () => {
      backend.status = { ...backend.status, state: 'locked' };
    }),
    changePassphrase: vi.fn(async (current: string, next: string) => {
      unlockedOnly();
      if (current !== backend.passphrase) throw new ApiError('wrong passphrase', 422);
      backend.passphrase = next;
    }),
    activity: vi.fn(async () => {}),
  };

  const settings = {
    get: vi.fn(async () => {
      unlockedOnly();
      return { ...backend.settings };
    }),
    setTheme: vi.fn(async (theme: Settings['theme']) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, theme };
      return { ...backend.settings };
    }),
    setAutoLock: vi.fn(async (autoLockMinutes: number) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, autoLockMinutes };
      return { ...backend.settings };
    }),
    setDeviceName: vi.fn(async (deviceName: string) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, deviceName };
      return { ...backend.settings };
    }),
  };

  return {
    mode: 'browser',
    account,
    settings,
    backend,
    on(name, handler) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const h = handler as (p: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    onReconnect(handler) {
      reconnects.add(handler);
      return () => reconnects.delete(handler);
    },
    close() {
      listeners.clear();
    },
    emit(name, payload) {
      for (const h of [...(listeners.get(name) ?? [])]) h(payload);
    },
    reconnect() {
      for (const h of [...reconnects]) h();
    },
  };
}
