// A message search as the user types (ChatService.Search): the query is
// sent after a short pause in typing, and an answer to an older query than
// the last one sent is dropped, so the hits shown always match the text in
// the field. One store per search field: the chat list's (every chat) and
// each conversation's (chatId set).

import type { SearchHit } from '../api';

/** The pause in typing after which the query is sent. */
export const SEARCH_DEBOUNCE_MS = 150;

/** Hits asked for per query. */
export const SEARCH_LIMIT = 50;

export type Searcher = (query: string, chatId: string, limit: number) => Promise<SearchHit[]>;

/** Asks Go to have its index ready (ChatService.PrepareSearch). */
export type Preparer = () => Promise<void>;

export interface SearchTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: SearchTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class MessageSearch {
  /** The text in the field. */
  query = $state('');
  /** The hits of `searched`, newest first. */
  hits = $state.raw<readonly SearchHit[]>([]);
  /** The query the hits answer ('' when none was answered yet). */
  searched = $state('');
  /** A query is waiting for its pause or its answer. */
  busy = $state(false);
  /** Why the last query failed; '' when it did not. */
  error = $state('');
  #seq = 0;
  #timer: unknown = null;

  constructor(
    private readonly search: Searcher,
    /** '' for every chat, else the one chat searched. */
    readonly chatId = '',
    private readonly preparer: Preparer = async () => {},
    private readonly timers: SearchTimers = realTimers,
  ) {}

  /**
   * A search is near (the in-chat field opened, or the first letter was
   * typed): Go builds its search index now if it has none (it keeps one only
   * while searches come), so the query, sent after the pause in typing, finds
   * it ready or nearly. A failure here is not shown: the query would report it.
   */
  prepare(): void {
    this.preparer().catch(() => {});
  }

  /** The field changed: searches once typing pauses. */
  set(query: string): void {
    if (this.query.trim() === '' && query.trim() !== '') this.prepare();
    this.query = query;
    this.#cancel();
    const seq = ++this.#seq;
    if (query.trim() === '') {
      this.hits = [];
      this.searched = '';
      this.error = '';
      this.busy = false;
      return;
    }
    this.busy = true;
    this.#timer = this.timers.set(() => {
      this.#timer = null;
      void this.#run(query, seq);
    }, SEARCH_DEBOUNCE_MS);
  }

  /** Searches for the current text at once (Enter). */
  now(): Promise<void> {
    this.#cancel();
    if (this.query.trim() === '') return Promise.resolve();
    return this.#run(this.query, ++this.#seq);
  }

  /** Empties the field and forgets the hits. */
  clear(): void {
    this.set('');
  }

  /** Stops a query waiting for its pause (the field goes away). */
  dispose(): void {
    this.#cancel();
    this.#seq++;
  }

  async #run(query: string, seq: number): Promise<void> {
    this.busy = true;
    try {
      const hits = await this.search(query, this.chatId, SEARCH_LIMIT);
      if (seq !== this.#seq) return; // a newer query was sent meanwhile
      this.hits = hits;
      this.searched = query;
      this.error = '';
    } catch (err) {
      if (seq !== this.#seq) return;
      this.hits = [];
      this.searched = query;
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.#seq) this.busy = false;
    }
  }

  #cancel(): void {
    if (this.#timer !== null) {
      this.timers.clear(this.#timer);
      this.#timer = null;
    }
  }
}

/** How many hits a search found, for the status line screen readers hear. */
export function hitsText(s: Pick<MessageSearch, 'query' | 'searched' | 'busy' | 'error' | 'hits'>): string {
  if (s.query.trim() === '') return '';
  if (s.error) return `Search failed: ${s.error}`;
  if (s.busy && s.searched !== s.query) return 'Searching…';
  const n = s.hits.length;
  if (n === 0) return 'No messages found';
  if (n >= SEARCH_LIMIT) return `${n}+ messages found`;
  return n === 1 ? '1 message found' : `${n} messages found`;
}
