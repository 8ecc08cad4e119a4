// The desktop window's transport: bound Go methods on window.go.app, Go's
// rejections as ApiError, events through runtime.EventsOn.

import { describe, expect, it, vi } from 'vitest';
import { createApi } from './client';
import { ApiError, isUnavailable } from './decode';
import { createWailsTransport, type WailsGlobals } from './transport-wails';

describe('Wails', () => {
  function wailsWindow(app: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>) {
    const handlers = new Map<string, (...d: unknown[]) => void>();
    const off = vi.fn();
    const win: WailsGlobals = {
      go: { app },
      runtime: {
        EventsOn: vi.fn((name: string, cb: (...d: unknown[]) => void) => {
          handlers.set(name, cb);
          return off;
        }),
      },
    };
    return { win, handlers, off };
  }

  it('calls the bound Go method with the arguments and decodes the result', async () => {
    const unlock = vi.fn(async () => ({
      displayName: 'Ada',
      accountFingerprint: 'fp',
      deviceId: 'd1',
      deviceName: 'Laptop',
    }));
    const { win } = wailsWindow({ AccountService: { Unlock: unlock } });
    const api = createApi(createWailsTransport(win));

    await expect(api.account.unlock('secret words')).resolves.toMatchObject({ displayName: 'Ada' });
    expect(unlock).toHaveBeenCalledWith('secret words');
    expect(api.mode).toBe('wails');
  });

  it('sets the native window title and the page title', () => {
    const { win } = wailsWindow({});
    const setTitle = vi.fn();
    win.runtime!.WindowSetTitle = setTitle;
    win.document = { title: 'Hush' };
    createApi(createWailsTransport(win)).setTitle('(2) Hush');
    expect(setTitle).toHaveBeenCalledWith('(2) Hush');
    expect(win.document.title).toBe('(2) Hush');
  });

  it('opens a link through Go (WindowService.OpenLink), not the WebView', () => {
    const open = vi.fn(() => Promise.resolve());
    const { win } = wailsWindow({ WindowService: { OpenLink: open } });
    createApi(createWailsTransport(win)).openURL('https://example.com/');
    expect(open).toHaveBeenCalledWith('https://example.com/');
  });

  it('warns, and throws nothing, when Go could not open a link', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { win } = wailsWindow({ WindowService: { OpenLink: () => Promise.reject('The link could not be opened.') } });
    expect(() => createApi(createWailsTransport(win)).openURL('https://example.com/')).not.toThrow();
    await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('link not opened:', 'The link could not be opened.'));
    warn.mockRestore();
  });

  it('turns the string Wails rejects with into an ApiError', async () => {
    const { win } = wailsWindow({
      AccountService: {
        Unlock: () => Promise.reject('wrong passphrase'),
      },
    });
    const api = createApi(createWailsTransport(win));
    const err = await api.account.unlock('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as Error).message).toBe('wrong passphrase');
  });

  it('resolves an error-only method (undefined from Wails) as done', async () => {
    const { win } = wailsWindow({ AccountService: { Lock: async () => undefined } });
    const api = createApi(createWailsTransport(win));
    await expect(api.account.lock()).resolves.toBeUndefined();
  });

  it('names a method missing from the bindings', async () => {
    const { win } = wailsWindow({ AccountService: {} });
    const api = createApi(createWailsTransport(win));
    await expect(api.settings.get()).rejects.toThrow('SettingsService.Get is not available');
  });

  it('subscribes through runtime.EventsOn and returns its unsubscribe', () => {
    const { win, handlers, off } = wailsWindow({});
    const api = createApi(createWailsTransport(win));
    const locked = vi.fn();
    const unsubscribe = api.on('vault:locked', locked);

    expect(win.runtime?.EventsOn).toHaveBeenCalledWith('vault:locked', expect.any(Function));
    handlers.get('vault:locked')!({ reason: 'idle' });
    expect(locked).toHaveBeenCalledWith({ reason: 'idle' });
    unsubscribe();
    expect(off).toHaveBeenCalled();
  });

  it('marks a missing binding as unavailable', async () => {
    const api = createApi(createWailsTransport({ go: { app: {} } }));
    const err = await api.chats.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(isUnavailable(err)).toBe(true);
  });
});
