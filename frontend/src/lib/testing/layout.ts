// jsdom has no layout engine: every element is 0×0 and nothing scrolls. The
// virtualized message list needs sizes to decide what to render, so tests
// that show messages give the scroller a viewport and rows a height, as a
// browser would. Call in beforeEach and the returned function in afterEach
// (restoreMocks in vite.config undoes the spies).

import { vi } from 'vitest';

export const VIEWPORT_PX = 600;
export const ROW_PX = 60;

/** Returns the function that takes the fake scrollTo away again. */
export function mockLayout(): () => void {
  const inner = (el: HTMLElement) =>
    el.classList.contains('scroller') ? el.querySelector<HTMLElement>('.inner') : null;
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    if (this.classList.contains('scroller')) return VIEWPORT_PX;
    if (this.classList.contains('row')) return ROW_PX;
    return 0;
  });
  vi.spyOn(HTMLElement.prototype, 'offsetWidth', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return this.classList.contains('scroller') ? VIEWPORT_PX : 0;
  });
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockImplementation(function (this: HTMLElement) {
    const el = inner(this);
    return el ? Math.max(VIEWPORT_PX, parseFloat(el.style.height) || 0) : 0;
  });
  // The virtualizer scrolls with scrollTo, which jsdom's elements lack.
  const proto = HTMLElement.prototype as HTMLElement & { scrollTo: HTMLElement['scrollTo'] };
  const had = Object.prototype.hasOwnProperty.call(proto, 'scrollTo');
  const previous = had ? proto.scrollTo : undefined;
  proto.scrollTo = function (this: HTMLElement, opts?: ScrollToOptions | number) {
    if (typeof opts === 'object' && opts.top !== undefined) {
      const el = inner(this);
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
