// Keeps the open chat's draft in step with Go (ChatService.SetDraft): the
// composer's text is saved a moment after the user stops typing, and at once
// when they leave the chat (flush). A draft that arrives from Go — typed on
// another of the account's devices — replaces the composer's text only when
// the user has not typed since the last save, and never when it is the echo
// of a save made here (an older echo must not bring back text already sent
// or changed).

/** The pause in typing after which the draft is saved. */
export const DRAFT_SAVE_DELAY_MS = 500;

/** How many of our own saved texts are remembered to recognise their echoes. */
const OWN_ECHOES = 32;

export class DraftKeeper {
  /** The composer's text. */
  #text: string;
  /** The text last saved (or asked to be saved), or last taken from Go; null after a failed save. */
  #saved: string | null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inflight: Promise<void> | null = null;
  /** Texts this window saved, whose chat:updated may still arrive. */
  #own: string[] = [];

  /**
   * @param saved the draft Go holds for the chat
   * @param text the composer's starting text (an unsaved draft, or `saved`)
   * @param save saves a draft in Go; rejects with its error
   */
  constructor(
    saved: string,
    text: string,
    private readonly save: (text: string) => Promise<unknown>,
    private readonly delayMs = DRAFT_SAVE_DELAY_MS,
  ) {
    this.#saved = saved;
    this.#text = text;
    if (this.dirty) this.#schedule();
  }

  /** The composer's text as last reported. */
  get text(): string {
    return this.#text;
  }

  /** Whether the user typed something that is not saved (nor being saved). */
  get dirty(): boolean {
    return this.#text !== this.#saved;
  }

  /** The user changed the text: saved after a pause in typing. */
  changed(text: string): void {
    this.#text = text;
    if (this.dirty) this.#schedule();
    else this.#clearTimer();
  }

  /** Saves now what is not saved yet (leaving the chat, the window losing focus). */
  flush(): Promise<void> {
    this.#clearTimer();
    if (!this.dirty) return this.#inflight ?? Promise.resolve();
    const text = this.#text;
    this.#saved = text;
    this.#remember(text);
    const run = this.save(text).then(
      () => {},
      () => {
        // Not saved: the next change or flush tries again.
        if (this.#saved === text) this.#saved = null;
      },
    );
    const done = run.finally(() => {
      if (this.#inflight === done) this.#inflight = null;
    });
    this.#inflight = done;
    return done;
  }

  /**
   * The message was sent: Go clears the draft itself, so nothing pending is
   * saved any more. Resolves once a save already on its way has finished, so
   * the send reaches Go after it (and clears it).
   */
  async sent(): Promise<void> {
    this.#clearTimer();
    this.#text = '';
    this.#saved = '';
    this.#remember('');
    await this.#inflight;
  }

  /**
   * Go reports the chat's draft (chat:updated). Returns the text the composer
   * should now show, or null to leave it alone: the user typed since the last
   * save, or this is the echo of a save made here, or nothing changed.
   */
  remote(draft: string): string | null {
    if (draft === this.#text) {
      this.#saved = draft;
      this.#clearTimer();
      return null;
    }
    if (this.dirty || this.#timer !== null || this.#own.includes(draft)) return null;
    this.#text = draft;
    this.#saved = draft;
    this.#own = [];
    return draft;
  }

  /** Stops the pending save (the chat is gone). */
  dispose(): void {
    this.#clearTimer();
  }

  #schedule(): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.delayMs);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #remember(text: string): void {
    this.#own = [...this.#own.filter((t) => t !== text), text].slice(-OWN_ECHOES);
  }
}
