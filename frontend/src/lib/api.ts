// The one typed client for the Go API (docs/API.md). Components never touch
// window.go, fetch or WebSocket directly: they get an Api from context, so the
// desktop window (Wails bindings) and browser mode (HTTP + WebSocket) behave
// the same and tests can hand in a fake at this single boundary.

/** Which screen the vault's lock state calls for. */
export type VaultState = 'new' | 'locked' | 'unlocked';

/** AccountService.Status: what screen to show and how long unlock must wait. */
export interface Status {
  state: VaultState;
  /** How long the unlock screen must wait before the next try (0 = now). */
  retryAfterMs: number;
  minPassphraseLength: number;
}

/** Returned by Create and Unlock: who is signed in on this device. */
export interface Profile {
  displayName: string;
  accountFingerprint: string;
  deviceId: string;
  deviceName: string;
}

export type Theme = 'system' | 'dark' | 'light';
export const THEMES: readonly Theme[] = ['system', 'dark', 'light'];

/** The only auto-lock values the Go side accepts (0 = never). */
export const AUTO_LOCK_MINUTES = [0, 1, 5, 15, 30, 60, 240] as const;
export type AutoLockMinutes = (typeof AUTO_LOCK_MINUTES)[number];

/** Device names the Go side accepts: 1–64 characters. */
export const DEVICE_NAME_MAX_LENGTH = 64;

/** Preferences stored in the vault; readable only while unlocked. */
export interface Settings {
  theme: Theme;
  autoLockMinutes: number;
  deviceName: string;
  displayName: string;
  accountFingerprint: string;
  deviceFingerprint: string;
  dataDir: string;
  portable: boolean;
  version: string;
}

export type LockReason = 'manual' | 'idle';

/** Every event the Go side emits, by name, with its payload. */
export interface EventMap {
  'vault:locked': { reason: LockReason };
  'settings:changed': Settings;
}
export type EventName = keyof EventMap;

/** AccountService: the account and the vault's lock state. */
export interface AccountService {
  status(): Promise<Status>;
  create(displayName: string, passphrase: string): Promise<Profile>;
  unlock(passphrase: string): Promise<Profile>;
  lock(): Promise<void>;
  changePassphrase(current: string, next: string): Promise<void>;
  activity(): Promise<void>;
}

/** SettingsService: preferences stored in the vault (unlocked only). */
export interface SettingsService {
  get(): Promise<Settings>;
  setTheme(theme: Theme): Promise<Settings>;
  setAutoLock(minutes: AutoLockMinutes): Promise<Settings>;
  setDeviceName(name: string): Promise<Settings>;
}

/** The typed API every component uses. */
export interface Api {
  readonly mode: TransportMode;
  readonly account: AccountService;
  readonly settings: SettingsService;
  /** Subscribes to a Go event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, handler: (payload: EventMap[K]) => void): () => void;
  /**
   * Called when the event stream came back after a drop (browser mode only),
   * because events emitted meanwhile are lost and state must be re-read.
   */
  onReconnect(handler: () => void): () => void;
  /** Stops the event stream; the Api is unusable afterwards. */
  close(): void;
}

/**
 * The error every API call rejects with. The message is the Go error's
 * message, shown to the user as is.
 */
export class ApiError extends Error {
  /** HTTP status in browser mode; undefined for Wails and network failures. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export type ServiceName = 'AccountService' | 'SettingsService';
export type TransportMode = 'wails' | 'browser';

/** How calls and events travel; one implementation per runtime. */
export interface Transport {
  readonly mode: TransportMode;
  call(service: ServiceName, method: string, args: readonly unknown[]): Promise<unknown>;
  subscribe(name: string, handler: (data: unknown) => void): () => void;
  onReconnect(handler: () => void): () => void;
  close(): void;
}

// ---------------------------------------------------------------------------
// Response decoding. The Go side is written in parallel to the contract; a
// shape that drifts must fail loudly at this boundary, not deep in a screen.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field<T>(
  obj: Json,
  key: string,
  what: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const v = obj[key];
  if (!check(v)) {
    throw new ApiError(`unexpected ${what} from Hush: "${key}" is not ${expected}`);
  }
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isVaultState = (v: unknown): v is VaultState =>
  v === 'new' || v === 'locked' || v === 'unlocked';
const isTheme = (v: unknown): v is Theme => v === 'system' || v === 'dark' || v === 'light';

/** Decodes AccountService.Status; throws ApiError on a malformed shape. */
export function decodeStatus(v: unknown): Status {
  if (!isObject(v)) throw new ApiError('unexpected status from Hush: not an object');
  const what = 'status';
  return {
    state: field(v, 'state', what, isVaultState, 'new, locked or unlocked'),
    retryAfterMs: Math.max(0, field(v, 'retryAfterMs', what, isNumber, 'a number')),
    minPassphraseLength: field(v, 'minPassphraseLength', what, isNumber, 'a number'),
  };
}

/** Decodes a Profile (Create, Unlock); throws ApiError on a malformed shape. */
export function decodeProfile(v: unknown): Profile {
  if (!isObject(v)) throw new ApiError('unexpected profile from Hush: not an object');
  const what = 'profile';
  return {
    displayName: field(v, 'displayName', what, isString, 'a string'),
    accountFingerprint: field(v, 'accountFingerprint', what, isString, 'a string'),
    deviceId: field(v, 'deviceId', what, isString, 'a string'),
    deviceName: field(v, 'deviceName', what, isString, 'a string'),
  };
}

/** Decodes Settings; throws ApiError on a malformed shape. */
export function decodeSettings(v: unknown): Settings {
  if (!isObject(v)) throw new ApiError('unexpected settings from Hush: not an object');
  const what = 'settings';
  return {
    theme: field(v, 'theme', what, isTheme, 'system, dark or light'),
    autoLockMinutes: field(v, 'autoLockMinutes', what, isNumber, 'a number'),
    deviceName: field(v, 'deviceName', what, isString, 'a string'),
    displayName: field(v, 'displayName', what, isString, 'a string'),
    accountFingerprint: field(v, 'accountFingerprint', what, isString, 'a string'),
    deviceFingerprint: field(v, 'deviceFingerprint', what, isString, 'a string'),
    dataDir: field(v, 'dataDir', what, isString, 'a string'),
    portable: field(v, 'portable', what, isBoolean, 'true or false'),
    version: field(v, 'version', what, isString, 'a string'),
  };
}

function decodeLocked(v: unknown): EventMap['vault:locked'] {
  if (!isObject(v)) throw new ApiError('unexpected vault:locked payload: not an object');
  const reason = v['reason'];
  // An unknown reason still means "locked": show the unlock screen without
  // claiming it was inactivity.
  return { reason: reason === 'idle' ? 'idle' : 'manual' };
}

const eventDecoders: { [K in EventName]: (v: unknown) => EventMap[K] } = {
  'vault:locked': decodeLocked,
  'settings:changed': decodeSettings,
};

function decodeNothing(): void {
  // Methods that return only an error resolve with null (HTTP) or
  // undefined (Wails); both mean "done".
}

// ---------------------------------------------------------------------------
// The typed layer over a transport.

/** Builds the typed Api over a transport. */
export function createApi(transport: Transport): Api {
  const call = <T>(
    service: ServiceName,
    method: string,
    decode: (v: unknown) => T,
    ...args: unknown[]
  ): Promise<T> => transport.call(service, method, args).then(decode);

  const account: AccountService = {
    status: () => call('AccountService', 'Status', decodeStatus),
    create: (displayName, passphrase) =>
      call('AccountService', 'Create', decodeProfile, displayName, passphrase),
    unlock: (passphrase) => call('AccountService', 'Unlock', decodeProfile, passphrase),
    lock: () => call('AccountService', 'Lock', decodeNothing),
    changePassphrase: (current, next) =>
      call('AccountService', 'ChangePassphrase', decodeNothing, current, next),
    activity: () => call('AccountService', 'Activity', decodeNothing),
  };

  const settings: SettingsService = {
    get: () => call('SettingsService', 'Get', decodeSettings),
    setTheme: (theme) => call('SettingsService', 'SetTheme', decodeSettings, theme),
    setAutoLock: (minutes) => call('SettingsService', 'SetAutoLock', decodeSettings, minutes),
    setDeviceName: (name) => call('SettingsService', 'SetDeviceName', decodeSettings, name),
  };

  return {
    mode: transport.mode,
    account,
    settings,
    on(name, handler) {
      const decode = eventDecoders[name];
      return transport.subscribe(name, (data) => {
        let payload;
        try {
          payload = decode(data);
        } catch (err) {
          console.warn(`hush: dropped malformed ${name} event:`, err);
          return;
        }
        handler(payload);
      });
    },
    onReconnect: (handler) => transport.onReconnect(handler),
    close: () => transport.close(),
  };
}

// ---------------------------------------------------------------------------
// Wails: bound Go methods on window.go.app, events via window.runtime.

type BoundMethod = (...args: unknown[]) => Promise<unknown>;

/** The parts of the Wails-injected globals this client uses. */
export interface WailsGlobals {
  go?: { app?: Record<string, Record<string, BoundMethod | undefined> | undefined> };
  runtime?: {
    EventsOn(name: string, callback: (...data: unknown[]) => void): (() => void) | undefined;
  };
}

/** Calls the Go services that Wails binds into the page. */
export function createWailsTransport(win: WailsGlobals): Transport {
  const app = win.go?.app;
  if (!app) throw new Error('Wails bindings (window.go.app) are missing');
  return {
    mode: 'wails',
    async call(service, method, args) {
      const fn = app[service]?.[method];
      if (typeof fn !== 'function') {
        throw new ApiError(`${service}.${method} is not available in this build of Hush`);
      }
      try {
        return (await fn(...args)) ?? null;
      } catch (err) {
        // Wails rejects with the Go error's message as a plain string.
        throw new ApiError(errorMessage(err));
      }
    },
    subscribe(name, handler) {
      const off = win.runtime?.EventsOn(name, (data) => handler(data));
      return typeof off === 'function' ? off : () => {};
    },
    onReconnect: () => () => {},
    close() {},
  };
}

function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (isObject(err) && typeof err['message'] === 'string') return err['message'];
  return String(err);
}

// ---------------------------------------------------------------------------
// Browser mode: POST /api/call/<Service>/<Method>, events on /api/events.

/** Events larger than this are dropped unread: nothing the Go side sends is near it. */
export const MAX_EVENT_BYTES = 1 << 20;
/** First reconnect delay; doubles per failed attempt. */
export const RECONNECT_BASE_MS = 500;
/** Reconnect delays never exceed this, so a restarted backend is found quickly. */
export const RECONNECT_MAX_MS = 15_000;

/** What browser mode needs from its surroundings; tests pass fakes. */
export interface BrowserDeps {
  fetch: typeof fetch;
  WebSocket: new (url: string) => WebSocket;
  /** The page's location; the API lives on the same origin. */
  location: { protocol: string; host: string };
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
  /** In [0, 1); spreads reconnects so many tabs do not retry in lockstep. */
  random: () => number;
}

/** The delay before reconnect attempt n (0-based): exponential, capped, with jitter. */
export function reconnectDelay(attempt: number, random: () => number): number {
  const exp = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Talks to `hush --web` over HTTP and one WebSocket for events. */
export function createBrowserTransport(deps: BrowserDeps): Transport {
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const reconnectHandlers = new Set<() => void>();
  let socket: WebSocket | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let everOpened = false;
  let closed = false;

  const wsURL = `${deps.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${deps.location.host}/api/events`;

  function connect(): void {
    if (closed) return;
    const ws = new deps.WebSocket(wsURL);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      if (everOpened) {
        for (const h of [...reconnectHandlers]) h();
      }
      everOpened = true;
    };
    ws.onmessage = (ev: MessageEvent) => dispatch(ev.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      scheduleReconnect();
    };
    // An error is always followed by close, which schedules the retry.
    ws.onerror = () => {};
  }

  function scheduleReconnect(): void {
    if (closed || timer !== null) return;
    const delay = reconnectDelay(attempt, deps.random);
    attempt++;
    timer = deps.setTimeout(() => {
      timer = null;
      connect();
    }, delay);
  }

  function dispatch(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > MAX_EVENT_BYTES) return;
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      console.warn('hush: dropped an event that is not JSON');
      return;
    }
    if (!isObject(msg) || typeof msg['name'] !== 'string') return;
    const set = listeners.get(msg['name']);
    if (!set) return;
    for (const h of [...set]) h(msg['data']);
  }

  return {
    mode: 'browser',
    async call(service, method, args) {
      let res: Response;
      try {
        res = await deps.fetch(`/api/call/${service}/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(args),
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ApiError(`Cannot reach Hush: ${errorMessage(err)}`);
      }
      const text = await res.text();
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          if (res.ok) throw new ApiError(`${service}.${method}: the answer is not JSON`, res.status);
        }
      }
      if (!res.ok) {
        const message =
          isObject(body) && typeof body['error'] === 'string' && body['error'] !== ''
            ? body['error']
            : `${service}.${method} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        throw new ApiError(message, res.status);
      }
      return body;
    },
    subscribe(name, handler) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(handler);
      if (!closed && socket === null && timer === null) connect();
      return () => {
        listeners.get(name)?.delete(handler);
      };
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    close() {
      closed = true;
      if (timer !== null) deps.clearTimeout(timer);
      timer = null;
      const ws = socket;
      socket = null;
      ws?.close();
      listeners.clear();
      reconnectHandlers.clear();
    },
  };
}

/**
 * Picks the transport for where the page runs: Wails injects window.go.app
 * before our module runs; anything else is browser mode.
 */
export function detectTransport(win: Window & typeof globalThis & WailsGlobals): Transport {
  if (win.go?.app) return createWailsTransport(win);
  return createBrowserTransport({
    fetch: win.fetch.bind(win),
    WebSocket: win.WebSocket,
    location: win.location,
    setTimeout: (fn, ms) => win.setTimeout(fn, ms),
    clearTimeout: (id) => win.clearTimeout(id as number),
    random: Math.random,
  });
}
