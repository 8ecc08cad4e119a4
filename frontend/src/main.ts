// Entry point: picks the transport (Wails or browser mode), applies the
// remembered theme before the first paint, and mounts the app.

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createApi, detectTransport } from './lib/api';
import { createThemeController } from './lib/theme';

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const target = document.getElementById('app');
if (!target) throw new Error('hush: #app is missing from index.html');

const api = createApi(detectTransport(window));
const theme = createThemeController({
  root: document.documentElement,
  matchMedia: window.matchMedia?.bind(window),
  storage: safeStorage(),
});

mount(App, { target, props: { api, theme } });
