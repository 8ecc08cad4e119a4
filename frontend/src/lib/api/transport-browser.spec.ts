// Browser mode's transport: calls as POST /api/call/<Service>/<Method> with
// the JSON argument array, Go's errors as ApiError, and the event WebSocket
// with its size limit, reconnect back-off and reconnect notice.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleSettings, sampleStatus } from '../testing/fakeApi';
import { createApi } from './client';
import { ApiError, isUnavailable } from './decode';
import {
  MAX_EVENT_BYTES,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  createBrowserTransport,
  reconnectDelay,
  type BrowserDeps,
} from './transport-browser';

// A WebSocket stand-in that records instances so tests can open, message and
// drop them like a server would.
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  close(): void {
    this.closed = true;
  }
  // Test controls.
  open(): void {
    this.onopen?.();
  }
  receive(data: unknown): void {
    this.onmessage?.({ data });
  }
  drop(): void {
    this.onerror?.();
    this.onclose?.();
  }
}

function jsonResponse(status: number, body: unknown, statusText = ''): Response {
  return new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    statusText,
    headers: { 'Content-Type': 'application/json' },
  });
}

function browserDeps(fetchImpl: typeof fetch): BrowserDeps {
  return {
    fetch: fetchImpl,
    WebSocket: FakeSocket as unknown as BrowserDeps['WebSocket'],
    location: { protocol: 'http:', host: '127.0.0.1:41234' },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    random: () => 0.5,
  };
}

beforeEach(() => {
  FakeSocket.instances = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('browser mode calls', () => {
  it('POSTs the JSON argument array to /api/call/<Service>/<Method> with the cookie', async () => {
    const fetchMock = vi.fn(async () =>
      jsonResponse(200, {
        displayName: 'Ada',
        accountFingerprint: 'fp',
        deviceId: 'd1',
        deviceName: 'Laptop',
      }),
    );
    const page = { title: 'Hush' };
    const api = createApi(createBrowserTransport({ ...browserDeps(fetchMock), document: page }));
    api.setTitle('(1) Hush');
    expect(page.title).toBe('(1) Hush');

    const profile = await api.account.create('Ada', 'pass phrase "quoted"');

    expect(profile).toEqual({
      displayName: 'Ada',
      accountFingerprint: 'fp',
      deviceId: 'd1',
      deviceName: 'Laptop',
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/call/AccountService/Create');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(JSON.parse(init.body as string)).toEqual(['Ada', 'pass phrase "quoted"']);
  });

  it.each([
    ['status', () => ['AccountService/Status', []]],
    ['unlock', () => ['AccountService/Unlock', ['pw']]],
    ['lock', () => ['AccountService/Lock', []]],
    ['changePassphrase', () => ['AccountService/ChangePassphrase', ['old', 'new']]],
    ['activity', () => ['AccountService/Activity', []]],
    ['settings.get', () => ['SettingsService/Get', []]],
    ['settings.setTheme', () => ['SettingsService/SetTheme', ['dark']]],
    ['settings.setAutoLock', () => ['SettingsService/SetAutoLock', [15]]],
    ['settings.setDeviceName', () => ['SettingsService/SetDeviceName', ['Desk']]],
    ['settings.setNotifications', () => ['SettingsService/SetNotifications', [true, false]]],
  ] as const)('maps %s to its Go method and arguments', async (name, expected) => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url.endsWith('/Status')) {
        return jsonResponse(200, sampleStatus());
      }
      if (url.includes('SettingsService')) return jsonResponse(200, sampleSettings);
      if (url.endsWith('/Unlock')) {
        return jsonResponse(200, {
          displayName: 'A',
          accountFingerprint: 'f',
          deviceId: 'd',
          deviceName: 'n',
        });
      }
      return jsonResponse(200, null);
    });
    const api = createApi(createBrowserTransport(browserDeps(fetchMock as unknown as typeof fetch)));
    const calls: Record<string, () => Promise<unknown>> = {
      status: () => api.account.status(),
      unlock: () => api.account.unlock('pw'),
      lock: () => api.account.lock(),
      changePassphrase: () => api.account.changePassphrase('old', 'new'),
      activity: () => api.account.activity(),
      'settings.get': () => api.settings.get(),
      'settings.setTheme': () => api.settings.setTheme('dark'),
      'settings.setAutoLock': () => api.settings.setAutoLock(15),
      'settings.setDeviceName': () => api.settings.setDeviceName('Desk'),
      'settings.setNotifications': () => api.settings.setNotifications(true, false),
    };
    await calls[name]!();
    const [path, args] = expected();
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(`/api/call/${path}`);
    expect(JSON.parse(init.body as string)).toEqual(args);
  });

  it('resolves methods without a result (null body) with undefined', async () => {
    const api = createApi(createBrowserTransport(browserDeps(async () => jsonResponse(200, null))));
    await expect(api.account.lock()).resolves.toBeUndefined();
  });

  it.each([
    ['Go error message', 422, { error: 'wrong passphrase' }, 'wrong passphrase'],
    ['wait named by Go', 429, { error: 'too many attempts; try again in 30s' }, 'too many attempts; try again in 30s'],
    ['no JSON body', 500, undefined, 'AccountService.Unlock failed: HTTP 500 Internal Server Error'],
    ['JSON without error', 403, { nope: 1 }, 'AccountService.Unlock failed: HTTP 403 Forbidden'],
  ])('turns a %s into an ApiError', async (_name, status, body, message) => {
    const statusText = status === 500 ? 'Internal Server Error' : status === 403 ? 'Forbidden' : '';
    const api = createApi(
      createBrowserTransport(browserDeps(async () => jsonResponse(status, body, statusText))),
    );
    const err = await api.account.unlock('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(message);
    expect((err as ApiError).status).toBe(status);
  });

  it('reports an unreachable backend', async () => {
    const api = createApi(
      createBrowserTransport(
        browserDeps(async () => {
          throw new TypeError('Failed to fetch');
        }),
      ),
    );
    await expect(api.account.status()).rejects.toThrow('Cannot reach Hush: Failed to fetch');
  });

  it('rejects a success answer that is not JSON', async () => {
    const api = createApi(
      createBrowserTransport(browserDeps(async () => new Response('<html>', { status: 200 }))),
    );
    await expect(api.account.status()).rejects.toThrow(/not JSON/);
  });

  it('rejects a result whose shape drifted from the contract', async () => {
    const api = createApi(
      createBrowserTransport(
        browserDeps(async () => jsonResponse(200, { state: 'open', retryAfterMs: 0 })),
      ),
    );
    await expect(api.account.status()).rejects.toThrow(
      'unexpected Status.state from Hush: "open" is not one of new, locked, unlocked',
    );
  });

  const answering = (status: number, body: unknown) =>
    createApi(createBrowserTransport(browserDeps(async () => jsonResponse(status, body))));

  it('passes Go’s refusal through as the error message', async () => {
    const api = answering(422, { error: 'No one is called @nobody.' });
    await expect(api.contacts.add('nobody')).rejects.toThrow('No one is called @nobody.');
  });

  it('uploads a file to send with its name in the query, a backup without', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(200, { id: 'staged-1' }));
    const api = createApi(createBrowserTransport(browserDeps(fetchMock as unknown as typeof fetch)));
    const file = new Blob(['hello']);
    await expect(api.upload(file, 'café & menu/1.pdf')).resolves.toBe('staged-1');
    await expect(api.upload(file)).resolves.toBe('staged-1');
    const urls = fetchMock.mock.calls.map((c) => (c as unknown as [string])[0]);
    expect(urls).toEqual(['/api/upload?name=caf%C3%A9%20%26%20menu%2F1.pdf', '/api/upload']);
    const refused = createApi(
      createBrowserTransport(browserDeps(async () => jsonResponse(422, { error: 'The file is too large.' }))),
    );
    await expect(refused.upload(file, 'big.bin')).rejects.toThrow('The file is too large.');
  });

  it('marks a method missing from this build (404) as unavailable', async () => {
    const api = answering(404, { error: 'unknown method "ChatService/List"' });
    const err = await api.chats.list().catch((e: unknown) => e);
    expect(isUnavailable(err)).toBe(true);
    const other = await answering(422, { error: 'boom' }).chats.list().catch((e: unknown) => e);
    expect(isUnavailable(other)).toBe(false);
  });
});

describe('browser mode events', () => {
  function setup() {
    vi.useFakeTimers();
    const transport = createBrowserTransport(browserDeps(async () => jsonResponse(200, null)));
    const api = createApi(transport);
    return { api, transport };
  }

  it('opens one socket on the same host and delivers typed events', () => {
    const { api } = setup();
    const locked = vi.fn();
    const changed = vi.fn();
    api.on('vault:locked', locked);
    api.on('settings:changed', changed);

    expect(FakeSocket.instances).toHaveLength(1);
    const ws = FakeSocket.instances[0]!;
    expect(ws.url).toBe('ws://127.0.0.1:41234/api/events');
    ws.open();
    ws.receive(JSON.stringify({ name: 'vault:locked', data: { reason: 'idle' } }));
    ws.receive(JSON.stringify({ name: 'settings:changed', data: { ...sampleSettings, theme: 'dark' } }));

    expect(locked).toHaveBeenCalledWith({ reason: 'idle' });
    expect(changed).toHaveBeenCalledWith({ ...sampleSettings, theme: 'dark' });
  });

  it.each([
    ['not JSON', '{nope'],
    ['no name', JSON.stringify({ data: { reason: 'idle' } })],
    ['an array', JSON.stringify([1, 2])],
    ['binary', new ArrayBuffer(4)],
    ['malformed payload', JSON.stringify({ name: 'settings:changed', data: { theme: 'pink' } })],
    ['too large', JSON.stringify({ name: 'vault:locked', data: { reason: 'x'.repeat(MAX_EVENT_BYTES) } })],
  ])('drops a message that is %s without throwing', (_name, raw) => {
    const { api } = setup();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const locked = vi.fn();
    const changed = vi.fn();
    api.on('vault:locked', locked);
    api.on('settings:changed', changed);
    const ws = FakeSocket.instances[0]!;
    ws.open();
    expect(() => ws.receive(raw)).not.toThrow();
    expect(locked).not.toHaveBeenCalled();
    expect(changed).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('stops delivering to an unsubscribed handler', () => {
    const { api } = setup();
    const locked = vi.fn();
    const off = api.on('vault:locked', locked);
    off();
    FakeSocket.instances[0]!.receive(JSON.stringify({ name: 'vault:locked', data: { reason: 'manual' } }));
    expect(locked).not.toHaveBeenCalled();
  });

  it('reconnects with growing delays after drops and tells subscribers it is back', () => {
    const { api } = setup();
    const back = vi.fn();
    const locked = vi.fn();
    api.on('vault:locked', locked);
    api.onReconnect(back);
    FakeSocket.instances[0]!.open();
    expect(back).not.toHaveBeenCalled(); // the first open is not a reconnect

    // Drop; the next socket comes only after the backoff delay.
    FakeSocket.instances[0]!.drop();
    const first = reconnectDelay(0, () => 0.5);
    vi.advanceTimersByTime(first - 1);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);

    // It fails to connect at all: the delay doubles.
    FakeSocket.instances[1]!.drop();
    const second = reconnectDelay(1, () => 0.5);
    expect(second).toBeGreaterThan(first);
    vi.advanceTimersByTime(second - 1);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);

    // It connects: subscribers re-read state, events flow on the new socket.
    FakeSocket.instances[2]!.open();
    expect(back).toHaveBeenCalledTimes(1);
    FakeSocket.instances[2]!.receive(JSON.stringify({ name: 'vault:locked', data: { reason: 'idle' } }));
    expect(locked).toHaveBeenCalledWith({ reason: 'idle' });

    // After a successful open the backoff starts over.
    FakeSocket.instances[2]!.drop();
    vi.advanceTimersByTime(first);
    expect(FakeSocket.instances).toHaveLength(4);
  });

  it('stops reconnecting once closed', () => {
    const { api } = setup();
    api.on('vault:locked', () => {});
    const ws = FakeSocket.instances[0]!;
    ws.open();
    ws.drop();
    api.close();
    vi.advanceTimersByTime(RECONNECT_MAX_MS * 2);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it.each([
    [0, 0, RECONNECT_BASE_MS / 2],
    [0, 0.999999, RECONNECT_BASE_MS],
    [1, 0, RECONNECT_BASE_MS],
    [3, 0.5, (RECONNECT_BASE_MS * 8 * 3) / 4],
    [50, 0, RECONNECT_MAX_MS / 2],
    [50, 0.999999, RECONNECT_MAX_MS],
  ])('reconnectDelay(attempt %i, random %f) = %i', (attempt, r, want) => {
    expect(reconnectDelay(attempt, () => r)).toBe(want);
  });
});

