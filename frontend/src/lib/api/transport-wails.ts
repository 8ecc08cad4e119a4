// The desktop window's transport: Wails binds the Go services on window.go.app
// and delivers events through window.runtime.EventsOn.

import type { Transport } from './client';
import { ApiError, errorMessage } from './decode';

type BoundMethod = (...args: unknown[]) => Promise<unknown>;

/** The parts of the Wails-injected globals this client uses. */
export interface WailsGlobals {
  go?: { app?: Record<string, Record<string, BoundMethod | undefined> | undefined> };
  runtime?: {
    EventsOn(name: string, callback: (...data: unknown[]) => void): (() => void) | undefined;
    WindowSetTitle?(title: string): void;
  };
  document?: { title: string };
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
        throw new ApiError(`${service}.${method} is not available in this build of Hush`, undefined, true);
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
    setTitle(title) {
      // The native window keeps the title Go gave it unless told: WebKitGTK and
      // WebView2 do not follow document.title.
      if (win.document) win.document.title = title;
      win.runtime?.WindowSetTitle?.(title);
    },
    openURL(url) {
      // Go opens it (WindowService.OpenLink): it checks the address again and
      // starts the browser or mail program with the environment Hush was
      // started with, not the settings Hush made for its own WebKit. The
      // WebView itself never leaves the app.
      const open = app.WindowService?.OpenLink;
      if (typeof open !== 'function') return;
      open(url).catch((err: unknown) => console.warn('link not opened:', errorMessage(err)));
    },
    upload() {
      return Promise.reject(new ApiError('The desktop window opens files with its own dialog.'));
    },
    close() {},
  };
}
