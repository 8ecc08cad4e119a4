// History sync as Go reports it (sync:progress): only catch-ups with much to
// fetch are reported (a newly linked device fetching the whole history), a
// few times a second, the last report with running=false — and paused=true
// when the user paused it (DeviceService.PauseSync). The bar shows while a
// catch-up runs or is paused, and "History complete" for a moment after one
// that fetched everything.

import type { SyncProgress } from '../api';

/** How long "History complete" stays. */
export const SYNC_DONE_SHOWN_MS = 3_000;

/**
 * A running catch-up reports whenever it fetched something. After this long
 * without a word the bar goes: its last report was lost (the event stream
 * dropped), or a resumed catch-up had too little left to be reported at all.
 */
export const SYNC_QUIET_MS = 15_000;

export class SyncStore {
  /** The catch-up shown, running or paused; null when there is none. */
  progress = $state<SyncProgress | null>(null);
  /** The user asked to pause; Go has not said it stopped yet. */
  pausing = $state(false);
  /** The user asked to resume; Go has not answered yet. */
  resuming = $state(false);
  /** A catch-up just fetched everything ("History complete"). */
  done = $state(false);
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly setPausedInGo: (paused: boolean) => Promise<void>) {}

  /** Whether there is anything to show. */
  get visible(): boolean {
    return this.progress !== null || this.done;
  }

  /** A sync:progress event. */
  set(p: SyncProgress): void {
    this.#clearTimer();
    if (p.running || p.paused) {
      this.progress = p;
      this.done = false;
      if (p.paused) this.pausing = false;
      else this.#arm(SYNC_QUIET_MS, () => this.#hide());
      return;
    }
    // The last report: everything fetched, or stopped (offline, locked) to go
    // on next time — only the first is news worth a word.
    const shown = this.progress !== null;
    this.progress = null;
    this.pausing = false;
    if (shown && p.messagesDone >= p.messagesTotal) {
      this.done = true;
      this.#arm(SYNC_DONE_SHOWN_MS, () => (this.done = false));
    }
  }

  /**
   * Pauses (true) or resumes (false) fetching history. A pause shows once
   * Go's report says it stopped; a resume shows at once, as the catch-up
   * that follows may report only later (or, with little left, never).
   * Rejects with Go's error.
   */
  async setPaused(paused: boolean): Promise<void> {
    if (paused) this.pausing = true;
    else this.resuming = true;
    try {
      await this.setPausedInGo(paused);
    } catch (err) {
      this.pausing = false;
      throw err;
    } finally {
      this.resuming = false;
    }
    const p = this.progress;
    if (!paused && p?.paused) {
      this.progress = { ...p, paused: false, running: true };
      this.#clearTimer();
      this.#arm(SYNC_QUIET_MS, () => this.#hide());
    }
  }

  reset(): void {
    this.#clearTimer();
    this.progress = null;
    this.pausing = false;
    this.resuming = false;
    this.done = false;
  }

  #hide(): void {
    this.progress = null;
    this.pausing = false;
  }

  #arm(ms: number, fn: () => void): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      fn();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
