// One chat's messages, oldest first, loaded a page at a time from the newest
// backwards (ChatService.Messages), plus what arrives live. Messages are
// unique by id: a page that overlaps what arrived by event, or a Send result
// that Go also announces, shows once.

import type { Message, MessagePage, MessageStatusChanged } from '../api';
import { nextStatus } from '../format';

/** Messages asked for per page. */
export const PAGE_SIZE = 50;

/**
 * Messages asked for per page while looking for a message to jump to (a
 * search hit): Go's largest page, so a hit far back takes few calls.
 */
export const JUMP_PAGE_SIZE = 200;

/** Pages read at most while looking for a message to jump to (40 000 messages). */
export const MAX_JUMP_PAGES = 200;

/**
 * Status changes kept for messages not seen yet: Go may report "sent"
 * before Send's own answer arrives. Bounded, oldest dropped first.
 */
export const MAX_EARLY_STATUSES = 256;

export type PageLoader = (before: string, limit: number) => Promise<MessagePage>;

export class ConversationStore {
  /** Oldest first; replaced, never mutated (large chats hold many rows). */
  messages = $state.raw<readonly Message[]>([]);
  /** True once the newest page has been read. */
  loaded = $state(false);
  /** Whether an older page may exist. */
  hasOlder = $state(true);
  loading = $state(false);
  /** Why the last page could not be read; '' when it could. */
  error = $state('');
  #nextBefore = '';
  /** The page read in flight, which a second caller waits for instead of reading again. */
  #inflight: Promise<void> | null = null;
  #byId = new Map<string, Message>();
  #early = new Map<string, MessageStatusChanged>();
  /**
   * Messages that self-destructed (message:expired), so a page or event
   * that crosses the removal does not bring one back. Bounded like #early.
   */
  #expired = new Set<string>();
  /** Bumped on every removal, so views holding a message (a reply) look again. */
  removals = $state(0);

  constructor(
    readonly chatId: string,
    private readonly load: PageLoader,
  ) {}

  /** Reads the newest page, once. */
  async loadLatest(): Promise<void> {
    if (this.loaded) return;
    await this.#fetch('');
  }

  /** Reads the next older page, if there is one and none is in flight. */
  async loadOlder(): Promise<void> {
    if (!this.loaded) return this.loadLatest();
    if (!this.hasOlder) return;
    await this.#fetch(this.#nextBefore);
  }

  /**
   * Reads older pages until the message `id` is loaded (a search hit to jump
   * to), at most MAX_JUMP_PAGES; whether it is loaded then. A page that
   * cannot be read stops it (error says why).
   */
  async loadUntil(id: string): Promise<boolean> {
    this.error = ''; // a page that failed before is tried again
    for (let pages = 0; !this.#byId.has(id) && pages < MAX_JUMP_PAGES; pages++) {
      while (this.#inflight) await this.#inflight; // another read's page first
      if (this.#byId.has(id) || (this.loaded && !this.hasOlder) || this.error) break;
      await this.#fetch(this.loaded ? this.#nextBefore : '', JUMP_PAGE_SIZE);
    }
    return this.#byId.has(id);
  }

  #fetch(before: string, limit = PAGE_SIZE): Promise<void> {
    if (this.#inflight) return Promise.resolve();
    this.#inflight = this.#read(before, limit).finally(() => (this.#inflight = null));
    return this.#inflight;
  }

  async #read(before: string, limit: number): Promise<void> {
    this.loading = true;
    try {
      const page = await this.load(before, limit);
      const older: Message[] = [];
      // The page is newest first.
      for (let i = page.messages.length - 1; i >= 0; i--) {
        const m = page.messages[i]!;
        if (m.chatId !== this.chatId || this.#byId.has(m.id) || this.#expired.has(m.id)) continue;
        this.#byId.set(m.id, m);
        older.push(m);
      }
      if (older.length > 0) this.messages = [...older, ...this.messages];
      this.#nextBefore = page.nextBefore;
      this.hasOlder = page.nextBefore !== '';
      this.loaded = true;
      this.error = '';
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.loading = false;
    }
  }

  /** A message that arrived or was sent: appended, or merged if known. */
  add(m: Message): void {
    if (m.chatId !== this.chatId || this.#expired.has(m.id)) return;
    const known = this.#byId.get(m.id);
    if (known) {
      this.#replace({
        ...known,
        ...m,
        status: nextStatus(known.status, m.status),
        seq: Math.max(known.seq, m.seq),
        expiresAt: startedAt(known.expiresAt, m.expiresAt),
      });
      return;
    }
    const early = this.#early.get(m.id);
    if (early) {
      this.#early.delete(m.id);
      m = {
        ...m,
        status: nextStatus(m.status, early.status),
        seq: Math.max(m.seq, early.seq),
        expiresAt: startedAt(m.expiresAt, early.expiresAt),
      };
    }
    this.#byId.set(m.id, m);
    this.messages = [...this.messages, m];
  }

  /**
   * Go answered the send shown as `localId` (add, before Go had it): the
   * real message takes its place, in the same spot. Go may have announced it
   * already (message:new); then the stand-in just goes.
   */
  settle(localId: string, m: Message): void {
    const local = this.#byId.get(localId);
    if (!local) return this.add(m);
    this.#byId.delete(localId);
    if (this.#byId.has(m.id) || m.chatId !== this.chatId) {
      this.messages = this.messages.filter((x) => x.id !== localId);
      this.add(m);
      return;
    }
    const early = this.#early.get(m.id);
    if (early) {
      this.#early.delete(m.id);
      m = {
        ...m,
        status: nextStatus(m.status, early.status),
        seq: Math.max(m.seq, early.seq),
        expiresAt: startedAt(m.expiresAt, early.expiresAt),
      };
    }
    this.#byId.set(m.id, m);
    this.messages = this.messages.map((x) => (x.id === localId ? m : x));
  }

  /** Go refused the send shown as `localId`: it stays, marked failed. */
  fail(localId: string): void {
    const local = this.#byId.get(localId);
    if (local) this.#replace({ ...local, status: 'failed' });
  }

  applyStatus(ev: MessageStatusChanged): void {
    if (ev.chatId !== this.chatId) return;
    this.#carryBack(ev);
    const known = this.#byId.get(ev.messageId);
    if (!known) {
      this.#early.set(ev.messageId, ev);
      if (this.#early.size > MAX_EARLY_STATUSES) {
        const oldest = this.#early.keys().next().value;
        if (oldest !== undefined) this.#early.delete(oldest);
      }
      return;
    }
    const status = nextStatus(known.status, ev.status);
    const seq = Math.max(known.seq, ev.seq);
    const expiresAt = startedAt(known.expiresAt, ev.expiresAt);
    if (status === known.status && seq === known.seq && expiresAt === known.expiresAt) return;
    this.#replace({ ...known, status, seq, expiresAt });
  }

  /**
   * Delivered and read are positions in the chat's log, as Go computes them
   * (one member's read position covers everything before it): a report for
   * one message raises this account's earlier messages too, so a report that
   * never came (lost with a relay that crashed) cannot leave a tick behind.
   */
  #carryBack(ev: MessageStatusChanged): void {
    if ((ev.status !== 'delivered' && ev.status !== 'read') || ev.seq <= 0) return;
    let next: Message[] | null = null;
    const list = this.messages;
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (!m.outgoing || m.service || m.seq <= 0 || m.seq >= ev.seq) continue;
      const status = nextStatus(m.status, ev.status);
      if (status === m.status) continue;
      next ??= list.slice();
      const raised = { ...m, status };
      next[i] = raised;
      this.#byId.set(m.id, raised);
    }
    if (next) this.messages = next;
  }

  /**
   * A message an action changed (message:changed: edited, deleted for
   * everyone, reacted to, pinned): replaced whole, its delivery state kept
   * from whichever report is further on. Not loaded: nothing to do (a page
   * read later has it as it stands).
   */
  change(m: Message): void {
    if (m.chatId !== this.chatId) return;
    const known = this.#byId.get(m.id);
    if (!known) return;
    this.#replace({ ...m, status: nextStatus(known.status, m.status), seq: Math.max(known.seq, m.seq) });
  }

  /** A message that self-destructed: gone from the list, and kept out of it. */
  remove(id: string): void {
    this.#expired.add(id);
    if (this.#expired.size > MAX_EARLY_STATUSES) {
      const oldest = this.#expired.values().next().value;
      if (oldest !== undefined) this.#expired.delete(oldest);
    }
    this.#early.delete(id);
    if (!this.#byId.delete(id)) return;
    this.messages = this.messages.filter((m) => m.id !== id);
    this.removals++;
  }

  /** Whether a message self-destructed while this store watched. */
  expired(id: string): boolean {
    return this.#expired.has(id);
  }

  get(id: string): Message | undefined {
    return this.#byId.get(id);
  }

  #replace(m: Message): void {
    this.#byId.set(m.id, m);
    const list = this.messages;
    // Status changes concern recent messages: search from the end.
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.id === m.id) {
        const next = list.slice();
        next[i] = m;
        this.messages = next;
        return;
      }
    }
  }
}

/**
 * When a countdown ends: the first start reported wins (0 means not started;
 * Go sends one start per message, a later report changes nothing).
 */
function startedAt(known: number, incoming: number): number {
  return known > 0 ? known : incoming;
}
