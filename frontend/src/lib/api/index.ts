// The client modules that talk to Go, as components import them
// (`from '../api'`): the generated contract (types, decoders, events, RULES,
// STATUS_ADVANCE), the errors, and the typed Api with its two transports.

export * from './contract.gen';
export { ApiError, isUnavailable, type Decoder } from './decode';
export { createApi, detectTransport, type Api, type Transport, type TransportMode } from './client';
export { createWailsTransport, type WailsGlobals } from './transport-wails';
export {
  MAX_EVENT_BYTES,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  createBrowserTransport,
  reconnectDelay,
  type BrowserDeps,
} from './transport-browser';
