// Components loaded on first use. The main window's dialogs and rarely shown
// panels are most of its script; JavaScriptCore keeps whatever it parsed, so
// each is a chunk of its own, loaded when first opened (docs/PERFORMANCE.md,
// "Desktop cold start and memory"). Components/Lazy.svelte draws one.

import type { Component } from 'svelte';

/** Props as Svelte's Component has them: any object, interfaces included. */
export type AnyProps = Record<string, any>;

/** A component that loads on first use: `lazy(() => import('./X.svelte'))`. */
export interface LazyComponent<P extends AnyProps, E extends AnyProps = AnyProps> {
  /** The component once it has loaded: drawn at once from then on. */
  readonly loaded: Component<P, E> | undefined;
  /**
   * Loads the component (once; again after a failure). A parent that calls
   * one of its functions (bind:instance) right after showing it awaits this,
   * then tick().
   */
  load(): Promise<Component<P, E>>;
}

/**
 * A handle on a component's module, made where the module would have been
 * imported (a component's `<script module>`): the dynamic import() makes Vite
 * put the component, and what only it uses, in a chunk of its own.
 */
export function lazy<P extends AnyProps, E extends AnyProps = AnyProps>(
  importer: () => Promise<{ default: Component<P, E> }>,
): LazyComponent<P, E> {
  let loaded: Component<P, E> | undefined;
  let pending: Promise<Component<P, E>> | undefined;
  return {
    get loaded() {
      return loaded;
    },
    load() {
      pending ??= importer().then(
        (m) => (loaded = m.default),
        (err: unknown) => {
          // The next opening tries again (a chunk the WebView could not read
          // this time may read the next).
          pending = undefined;
          throw err;
        },
      );
      return pending;
    },
  };
}

/** The exports of a lazy component's instance (what bind:instance gives). */
export type Instance<L> = L extends LazyComponent<infer _P, infer E> ? E : never;
