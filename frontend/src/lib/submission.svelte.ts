// The state of a form that sends one slow request at a time (create, unlock
// and passphrase change each run Argon2id on the Go side, about a second):
// busy while it travels so it cannot be sent twice, Go's error as the
// failure to show, and whether the user has tried yet, because inline
// errors show only from the first try on.

export class Submission {
  /** True once the user tried to submit. */
  attempted = $state(false);
  busy = $state(false);
  /** Go's error message from the last try; '' for none. */
  failure = $state('');

  /**
   * Starts a try: marks it attempted and clears the last failure. False (and
   * nothing changes) while a request is still travelling.
   */
  begin(): boolean {
    if (this.busy) return false;
    this.attempted = true;
    this.failure = '';
    return true;
  }

  /**
   * Sends the request unless one is travelling; resolves whether it
   * succeeded. On failure `failed` runs first (still busy, so nothing is sent
   * meanwhile), then `failure` holds the error's message.
   */
  async run(send: () => Promise<void>, failed?: (message: string) => Promise<void> | void): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.failure = '';
    try {
      await send();
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await failed?.(message);
      this.failure = message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
