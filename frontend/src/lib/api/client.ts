// The typed API every component uses, built over a transport. Components never
// touch window.go, fetch or WebSocket directly: they get an Api from context,
// so the desktop window (Wails bindings) and browser mode (HTTP + WebSocket)
// behave the same and tests can hand in a fake at this single boundary. The
// services, their Go names and the decoder of every result and event come from
// the generated contract (contract.gen.ts), so this file holds no list of
// methods to keep in step with Go.

import {
  EVENT_DECODERS,
  SERVICES,
  type EventMap,
  type EventName,
  type MethodSpec,
  type ServiceName,
  type ServiceTable,
  type Services,
} from './contract.gen';
import type { Decoder } from './decode';
import { createBrowserTransport } from './transport-browser';
import { createWailsTransport, type WailsGlobals } from './transport-wails';

export type TransportMode = 'wails' | 'browser';

/** How calls and events travel; one implementation per runtime. */
export interface Transport {
  readonly mode: TransportMode;
  /** Calls a Go method; resolves with its JSON result (null for none), rejects with ApiError. */
  call(service: ServiceName, method: string, args: readonly unknown[]): Promise<unknown>;
  /** Delivers an event's raw payload; returns the unsubscribe function. */
  subscribe(name: string, handler: (data: unknown) => void): () => void;
  onReconnect(handler: () => void): () => void;
  /** Shows title as the window's title (the page's, and the native window's). */
  setTitle(title: string): void;
  /** Opens a checked http(s) or mailto address outside Hush (the system's browser or mail program). */
  openURL(url: string): void;
  /**
   * Sends a file the user picked to Go (browser mode: POST /api/upload) and
   * resolves with the id a service then takes: with its name, a file to send
   * (FileService.Staged); without, a backup to import. The desktop window
   * picks files with native dialogs instead and rejects this.
   */
  upload(file: Blob, name?: string): Promise<string>;
  close(): void;
}

/** The typed API every component uses: the services, and Go's events. */
export interface Api extends Services {
  readonly mode: TransportMode;
  /** Subscribes to a Go event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, handler: (payload: EventMap[K]) => void): () => void;
  /**
   * Called when the event stream came back after a drop (browser mode only),
   * because events emitted meanwhile are lost and state must be re-read.
   */
  onReconnect(handler: () => void): () => void;
  /** Shows title as the window's title (with the unread count, say). */
  setTitle(title: string): void;
  /** Opens a link outside Hush; callers pass only what lib/links.ts accepts. */
  openURL(url: string): void;
  /**
   * Sends a file to Go for a service to use (browser mode only); resolves with
   * its id. With a name it is a file to send (FileService.Staged describes it).
   */
  upload(file: Blob, name?: string): Promise<string>;
  /** Stops the event stream; the Api is unusable afterwards. */
  close(): void;
}

/**
 * What an event whose payload does not decode still means, where dropping it
 * would be worse than guessing: a vault:locked event is a lock whatever its
 * reason says, so the unlock screen shows (without claiming inactivity).
 */
const FALLBACKS: { readonly [K in EventName]?: EventMap[K] } = {
  'vault:locked': { reason: 'manual' },
};

/** Builds the typed Api over a transport. */
export function createApi(transport: Transport): Api {
  return {
    mode: transport.mode,
    account: bind(transport, 'account'),
    settings: bind(transport, 'settings'),
    connection: bind(transport, 'connection'),
    contacts: bind(transport, 'contacts'),
    chats: bind(transport, 'chats'),
    devices: bind(transport, 'devices'),
    window: bind(transport, 'window'),
    backup: bind(transport, 'backup'),
    files: bind(transport, 'files'),
    on(name, handler) {
      return transport.subscribe(name, (data) => {
        const payload = decodeEvent(name, data);
        if (payload !== undefined) handler(payload);
      });
    },
    onReconnect: (handler) => transport.onReconnect(handler),
    setTitle: (title) => transport.setTitle(title),
    openURL: (url) => transport.openURL(url),
    upload: (file, name) => transport.upload(file, name),
    close: () => transport.close(),
  };
}

/**
 * One service's methods: each calls its Go method with the arguments in
 * order and decodes the answer with the decoder the table names.
 */
function bind<S extends keyof Services>(transport: Transport, service: S): Services[S] {
  const spec: ServiceTable[S] = SERVICES[service];
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, m] of Object.entries(spec.methods) as [string, MethodSpec<unknown>][]) {
    methods[name] = (...args) => transport.call(spec.service, m.method, args).then((v) => m.result(v));
  }
  // ServiceTable has exactly one entry per method of Services[S], whose
  // decoder returns what that method resolves to; TypeScript cannot follow
  // the loop above, so the object is typed here.
  return methods as unknown as Services[S];
}

/** An event's payload, decoded; undefined when it is malformed and dropped. */
function decodeEvent<K extends EventName>(name: K, data: unknown): EventMap[K] | undefined {
  const decode: Decoder<EventMap[K]> = EVENT_DECODERS[name];
  try {
    return decode(data);
  } catch (err) {
    const fallback: EventMap[K] | undefined = FALLBACKS[name];
    console.warn(`hush: ${fallback ? 'read' : 'dropped'} malformed ${name} event:`, err);
    return fallback;
  }
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
    document: win.document,
    open: (url, target, features) => win.open(url, target, features),
  });
}
