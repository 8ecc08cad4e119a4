// The relay link as Go last reported it, with a ticking "retrying in N s"
// countdown: retryInMs is relative to when the report arrived.

import type { Connection } from '../api';

export class ConnectionStore {
  value = $state<Connection | null>(null);
  /** When the next attempt is due (ms since epoch); 0 when none is scheduled. */
  retryAt = $state(0);
  /** The countdown's clock; ticks once a second while a retry is scheduled. */
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Counts reports, so a call's answer can tell whether an event overtook it. */
  #reports = 0;

  /** Before a call that answers with a Connection: remember where we were. */
  mark(): number {
    return this.#reports;
  }

  /**
   * A call's answer (Status, SetRelay, RegisterHandle). Go may emit
   * connection:changed while the answer travels — "online" often arrives
   * before SetRelay's "connecting" — and the event is then the newer word;
   * only the handle, which the call may just have set, is taken from it.
   */
  answer(value: Connection, mark: number): void {
    if (this.#reports === mark || this.value === null) this.set(value);
    else if (value.handle !== '' && value.handle !== this.value.handle) this.set({ ...this.value, handle: value.handle });
  }

  /** A connection:changed event: the newest state. */
  set(value: Connection): void {
    this.#reports++;
    this.value = value;
    this.now = Date.now();
    this.retryAt = value.state === 'offline' && value.retryInMs > 0 ? this.now + value.retryInMs : 0;
    this.#stopTicking();
    if (this.retryAt > 0) {
      this.#timer = setInterval(() => {
        this.now = Date.now();
        if (this.now >= this.retryAt) this.#stopTicking();
      }, 1_000);
    }
  }

  /** Milliseconds until the next attempt; 0 when due or none is scheduled. */
  get retryInMs(): number {
    return this.retryAt === 0 ? 0 : Math.max(0, this.retryAt - this.now);
  }

  reset(): void {
    this.#stopTicking();
    this.value = null;
    this.retryAt = 0;
  }

  #stopTicking(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
