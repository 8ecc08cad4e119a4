import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { startFocusReporting, type FocusWindow } from './focus';

/** A window whose focus and visibility the test sets, firing the real events. */
function fakeWindow(initial: { focused: boolean; visible: boolean }) {
  const state = { ...initial };
  const winEvents = new EventTarget();
  const docEvents = new EventTarget();
  const win: FocusWindow = {
    document: {
      get visibilityState() {
        return state.visible ? 'visible' : 'hidden';
      },
      hasFocus: () => state.focused,
      addEventListener: docEvents.addEventListener.bind(docEvents),
      removeEventListener: docEvents.removeEventListener.bind(docEvents),
    } as FocusWindow['document'],
    addEventListener: winEvents.addEventListener.bind(winEvents),
    removeEventListener: winEvents.removeEventListener.bind(winEvents),
  };
  return {
    win,
    focus() {
      state.focused = true;
      winEvents.dispatchEvent(new Event('focus'));
    },
    blur() {
      state.focused = false;
      winEvents.dispatchEvent(new Event('blur'));
    },
    visibility(visible: boolean) {
      state.visible = visible;
      docEvents.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

/** Lets the reporter's promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('startFocusReporting', () => {
  it.each([
    ['focused and visible', { focused: true, visible: true }, true],
    ['visible but not focused', { focused: false, visible: true }, false],
    ['hidden (minimised)', { focused: true, visible: false }, false],
  ])('reports the state once at start: %s', async (_name, initial, want) => {
    const report = vi.fn(async (_f: boolean) => {});
    startFocusReporting(report, fakeWindow(initial).win);
    await settle();
    expect(report.mock.calls).toEqual([[want]]);
  });

  it('follows focus, blur and visibility, without repeating a value', async () => {
    const report = vi.fn(async (_f: boolean) => {});
    const w = fakeWindow({ focused: true, visible: true });
    startFocusReporting(report, w.win);
    await settle();
    w.focus(); // already focused: nothing to say
    await settle();
    w.blur();
    await settle();
    w.visibility(false); // hidden while unfocused: still false
    await settle();
    w.visibility(true); // visible again but not focused
    await settle();
    w.focus();
    await settle();
    w.visibility(false); // hidden → false even though it kept focus
    await settle();
    expect(report.mock.calls.map(([f]) => f)).toEqual([true, false, true, false]);
  });

  it('sends one call at a time and ends with the latest state', async () => {
    const answers: (() => void)[] = [];
    const report = vi.fn((_f: boolean) => new Promise<void>((r) => answers.push(r)));
    const w = fakeWindow({ focused: true, visible: true });
    startFocusReporting(report, w.win);
    w.blur();
    w.focus();
    w.blur();
    // Only the first call has left while it is unanswered.
    expect(report.mock.calls.map(([f]) => f)).toEqual([true]);
    answers.shift()!();
    await settle();
    expect(report.mock.calls.map(([f]) => f)).toEqual([true, false]);
    answers.shift()!();
    await settle();
    expect(report).toHaveBeenCalledTimes(2);
  });

  it('tries again on the next change after a failed call', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const report = vi.fn(async (_f: boolean) => {});
    report.mockRejectedValueOnce(new ApiError('Cannot reach Hush'));
    const w = fakeWindow({ focused: true, visible: true });
    startFocusReporting(report, w.win);
    await settle();
    expect(warn).toHaveBeenCalled();
    // The same value again: Go may not have it, so it is sent.
    w.focus();
    await settle();
    expect(report.mock.calls.map(([f]) => f)).toEqual([true, true]);
  });

  it('stops for good when this build of Hush has no WindowService', async () => {
    const report = vi.fn(async (_f: boolean) => {
      throw new ApiError('WindowService.SetFocused is not available', undefined, true);
    });
    const w = fakeWindow({ focused: true, visible: true });
    startFocusReporting(report, w.win);
    await settle();
    w.blur();
    w.focus();
    await settle();
    expect(report).toHaveBeenCalledTimes(1);
  });

  it('stops listening when stopped', async () => {
    const report = vi.fn(async (_f: boolean) => {});
    const w = fakeWindow({ focused: true, visible: true });
    const stop = startFocusReporting(report, w.win);
    await settle();
    stop();
    w.blur();
    await settle();
    expect(report).toHaveBeenCalledTimes(1);
  });
});
