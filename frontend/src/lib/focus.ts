// Tells Go whether the user is looking at the window (WindowService.SetFocused):
// Go notifies of new messages only while they are not — natively in the
// desktop window, through the notify event in browser mode — and cannot see
// the page's focus by itself. It runs in both modes. The state is reported once
// at start and on every focus, blur and visibility change, never the same value
// twice in a row, and one call at a time (report.ts). In browser mode with
// several tabs open, the tab that reported last wins.

import { latestReporter } from './report';

/** The parts of the page the reporter watches; tests pass a jsdom window. */
export interface FocusWindow {
  readonly document: Pick<Document, 'visibilityState' | 'hasFocus' | 'addEventListener' | 'removeEventListener'>;
  addEventListener(type: 'focus' | 'blur', listener: () => void): void;
  removeEventListener(type: 'focus' | 'blur', listener: () => void): void;
}

/**
 * Starts reporting focus through `report`; returns the stop function. A
 * failed report is retried on the next change; a build of Hush without the
 * method stops the reporting for good.
 */
export function startFocusReporting(report: (focused: boolean) => Promise<void>, win: FocusWindow): () => void {
  const doc = win.document;
  const reporter = latestReporter(report, 'window focus', () => stop());
  let stopped = false;

  // During a focus or blur event the event itself is the truth; hasFocus()
  // can still answer for the moment before it in some engines.
  function looking(hint?: boolean): boolean {
    if (doc.visibilityState !== 'visible') return false;
    return hint ?? doc.hasFocus();
  }

  function update(hint?: boolean): void {
    reporter.set(looking(hint));
  }

  const onfocus = () => update(true);
  const onblur = () => update(false);
  const onvisibility = () => update();

  function stop(): void {
    if (stopped) return;
    stopped = true;
    reporter.stop();
    win.removeEventListener('focus', onfocus);
    win.removeEventListener('blur', onblur);
    doc.removeEventListener('visibilitychange', onvisibility);
  }

  win.addEventListener('focus', onfocus);
  win.addEventListener('blur', onblur);
  doc.addEventListener('visibilitychange', onvisibility);
  update();
  return stop;
}
