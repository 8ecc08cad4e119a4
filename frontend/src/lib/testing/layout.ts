// jsdom has no layout engine: every element is 0×0 and nothing scrolls. The
// virtualized lists need sizes to decide what to render, so tests that show
// messages or chats give each list's scroll container a viewport and rows a
// height, as a browser would. Call in beforeEach and the returned function in
// afterEach (restoreMocks in vite.config undoes the spies).
//
// The boxes are told apart by the virtual list's structure, not by CSS class
// names (which are free to change with the styling): a row carries the
// `data-index` TanStack Virtual measures it by; the spacer is an empty box
// with an inline height (the total of all rows) that holds only rows; and the
// scroll container is the spacer's parent.

import { vi } from 'vitest';

export const VIEWPORT_PX = 600;
export const ROW_PX = 60;

function isRow(el: Element): boolean {
  return el.hasAttribute('data-index');
}

/** The spacer a virtual list sizes to all its rows, if `el` is one. */
function isSpacer(el: Element | null): el is HTMLElement {
  if (!(el instanceof HTMLElement) || el.style.height === '' || isRow(el)) return false;
  for (const node of el.childNodes) {
    if (node.nodeType === Node.TEXT_NODE && node.textContent?.trim()) return false; // an avatar's initials
    if (node instanceof Element && !isRow(node)) return false;
  }
  return true;
}

/** The spacer inside `el` when `el` is a virtual list's scroll container. */
function spacerOf(el: HTMLElement): HTMLElement | null {
  const first = el.firstElementChild;
  return isSpacer(first) ? first : null;
}

/** Returns the function that takes the fake scrollTo away again. */
export function mockLayout(): () => void {
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    if (isRow(this)) return ROW_PX;
    if (spacerOf(this)) return VIEWPORT_PX;
    return 0;
  });
  vi.spyOn(HTMLElement.prototype, 'offsetWidth', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return spacerOf(this) ? VIEWPORT_PX : 0;
  });
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockImplementation(function (this: HTMLElement) {
    const el = spacerOf(this);
    return el ? Math.max(VIEWPORT_PX, parseFloat(el.style.height) || 0) : 0;
  });
  // The virtualizer scrolls with scrollTo, which jsdom's elements lack.
  const proto = HTMLElement.prototype as HTMLElement & { scrollTo: HTMLElement['scrollTo'] };
  const had = Object.prototype.hasOwnProperty.call(proto, 'scrollTo');
  const previous = had ? proto.scrollTo : undefined;
  proto.scrollTo = function (this: HTMLElement, opts?: ScrollToOptions | number) {
    if (typeof opts === 'object' && opts.top !== undefined) {
      const el = spacerOf(this);
      const max = el ? Math.max(0, (parseFloat(el.style.height) || 0) - VIEWPORT_PX) : 0;
      this.scrollTop = Math.min(Math.max(0, opts.top), max);
    }
    this.dispatchEvent(new Event('scroll'));
  } as HTMLElement['scrollTo'];
  return () => {
    if (had) proto.scrollTo = previous!;
    else delete (proto as Partial<HTMLElement>).scrollTo;
  };
}
