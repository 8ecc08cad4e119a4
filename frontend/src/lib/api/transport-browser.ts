// Browser mode's transport (`hush --web`, docs/ARCHITECTURE.md "Browser
// mode"): POST /api/call/<Service>/<Method> for calls, one WebSocket on
// /api/events for events, reconnected with a capped, jittered back-off.

import type { Transport } from './client';
import { ApiError, errorMessage, isObject } from './decode';

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
  /** The page, whose title is the tab's; absent in tests that do not look. */
  document?: { title: string };
  /** window.open; absent in tests that do not look. */
  open?: (url: string, target: string, features: string) => unknown;
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
    async upload(file, name) {
      let res: Response;
      const path = name === undefined ? '/api/upload' : `/api/upload?name=${encodeURIComponent(name)}`;
      try {
        res = await deps.fetch(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: file,
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ApiError(`Cannot reach Hush: ${errorMessage(err)}`);
      }
      let body: unknown = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      if (!res.ok || !isObject(body) || typeof body['id'] !== 'string') {
        const message =
          isObject(body) && typeof body['error'] === 'string' ? body['error'] : `The upload failed: HTTP ${res.status}`;
        throw new ApiError(message, res.status);
      }
      return body['id'];
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
    setTitle(title) {
      if (deps.document) deps.document.title = title;
    },
    openURL(url) {
      deps.open?.(url, '_blank', 'noopener,noreferrer');
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
