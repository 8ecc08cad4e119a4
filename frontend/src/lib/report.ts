// Telling Go a state of the window it cannot see by itself (focus, a secret
// chat on screen): only the latest value matters, so it is reported once per
// change, never the same value twice in a row, and one call at a time, so a
// slow answer cannot let an older value overwrite a newer one on the Go side.
// A failed call is retried at the next change; a build of Hush without the
// method stops the reporting for good.

import { isUnavailable } from './api';

export interface Reporter<T> {
  /** The value now; Go hears of it unless it was told already. */
  set(value: T): void;
  stop(): void;
}

/**
 * Reports through `report`; `what` names the state in the console warning
 * of a failed call; `unavailable` runs when the method does not exist.
 */
export function latestReporter<T>(
  report: (value: T) => Promise<void>,
  what: string,
  unavailable: () => void = () => {},
): Reporter<T> {
  let wanted: { value: T } | null = null;
  /** What Go was last told; null when unknown (never told, or a call failed). */
  let told: { value: T } | null = null;
  let inFlight = false;
  let stopped = false;

  function flush(): void {
    if (stopped || inFlight || wanted === null || (told !== null && told.value === wanted.value)) return;
    const sending = wanted;
    inFlight = true;
    report(sending.value).then(
      () => {
        inFlight = false;
        told = sending;
        flush(); // the state may have moved on meanwhile
      },
      (err: unknown) => {
        inFlight = false;
        told = null;
        if (isUnavailable(err)) {
          stopped = true;
          unavailable();
          return;
        }
        console.warn(`hush: could not report ${what}:`, err);
      },
    );
  }

  return {
    set(value) {
      wanted = { value };
      flush();
    },
    stop() {
      stopped = true;
    },
  };
}
