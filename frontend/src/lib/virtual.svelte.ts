// A Svelte 5 (runes) binding for TanStack Virtual's core Virtualizer, which
// @tanstack/svelte-virtual re-exports. That package's own createVirtualizer
// is a Svelte 3/4 store: it needs the scroll element when first subscribed
// (TanStack/virtual#866; a bind:this element does not exist yet) and runs
// _willUpdate inside setOptions, before Svelte has committed the new total
// height — so the `anchorTo: 'end'` correction after prepending older
// messages would write a scrollTop the old, shorter content clamps. Here, as
// in the React adapter, options are set before the DOM update ($effect.pre)
// and _willUpdate runs after it ($effect).

import { untrack } from 'svelte';
import {
  Virtualizer,
  defaultRangeExtractor,
  elementScroll,
  measureElement,
  observeElementOffset,
  observeElementRect,
  type Range,
  type VirtualItem,
  type VirtualizerOptions,
} from '@tanstack/svelte-virtual';

/** What a caller sets; the element observers and scroll function are fixed. */
export type VirtualListOptions = Omit<
  VirtualizerOptions<HTMLElement, HTMLElement>,
  'observeElementRect' | 'observeElementOffset' | 'scrollToFn' | 'onChange'
>;

export class VirtualList {
  readonly instance: Virtualizer<HTMLElement, HTMLElement>;
  // Bumped on every virtualizer change so getters re-run where they are read.
  #version = $state(0);

  /**
   * Must be constructed during component initialisation: it registers
   * effects. `options` is read inside effects, so the $state it touches
   * (count, the scroll element) is tracked.
   */
  constructor(options: () => VirtualListOptions) {
    const resolve = (): VirtualizerOptions<HTMLElement, HTMLElement> => ({
      observeElementRect,
      observeElementOffset,
      scrollToFn: elementScroll,
      measureElement: measureNonZero,
      ...options(),
      onChange: () => {
        this.#version++;
      },
    });
    this.instance = new Virtualizer(resolve());
    // Only what options() reads is tracked; the virtualizer's own calls back
    // into onChange (and so #version) must not make these effects re-run.
    $effect.pre(() => {
      const next = resolve();
      untrack(() => {
        this.instance.setOptions(next);
        this.#version++;
      });
    });
    $effect(() => untrack(() => this.instance._didMount()));
    $effect(() => {
      // Same dependencies as the pre effect: runs after the DOM reflects them.
      options();
      untrack(() => this.instance._willUpdate());
    });
  }

  get items(): VirtualItem[] {
    void this.#version;
    return this.instance.getVirtualItems();
  }

  get totalSize(): number {
    void this.#version;
    return this.instance.getTotalSize();
  }

  /** An attachment for each rendered row (it carries data-index). */
  readonly measure = (el: HTMLElement): void => {
    untrack(() => this.instance.measureElement(el));
  };
}

/**
 * The default measurement, except that a row measuring 0 (not laid out yet,
 * or no layout at all as in jsdom) keeps its estimate: a zero-height row
 * would make every row "visible" and defeat the virtualization.
 */
function measureNonZero(
  el: HTMLElement,
  entry: ResizeObserverEntry | undefined,
  instance: Virtualizer<HTMLElement, HTMLElement>,
): number {
  const size = measureElement(el, entry, instance);
  if (size > 0) return size;
  return instance.options.estimateSize(instance.indexFromElement(el));
}

/**
 * A range extractor that renders, besides the rows near the viewport, the
 * rows at `keep` (undefined entries are ignored): the row that holds keyboard
 * focus, or the list's tab stop, must stay in the DOM when it scrolls out of
 * view, or focus would fall back to the page and Tab would skip the list.
 */
export function keepRows(...keep: (number | undefined)[]): (range: Range) => number[] {
  return (range) => {
    const indexes = defaultRangeExtractor(range);
    let added = false;
    for (const i of keep) {
      if (i === undefined || i < 0 || i >= range.count || indexes.includes(i)) continue;
      indexes.push(i);
      added = true;
    }
    return added ? indexes.sort((a, b) => a - b) : indexes;
  };
}
