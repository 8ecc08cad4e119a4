// Who is typing where, from `typing` events. Go forwards each signal once;
// the UI forgets it after TYPING_EXPIRY_MS unless it is repeated, and at once
// when that person's message arrives.

import type { TypingStarted } from '../api';

/** The contract's expiry of a typing signal. */
export const TYPING_EXPIRY_MS = 5_000;

interface Typist {
  name: string;
  expiresAt: number;
}

export class TypingStore {
  /** chatId → accountId → who and until when. */
  #chats = $state.raw<ReadonlyMap<string, ReadonlyMap<string, Typist>>>(new Map());
  #timer: ReturnType<typeof setTimeout> | null = null;

  add(ev: TypingStarted): void {
    const chat = new Map(this.#chats.get(ev.chatId) ?? []);
    chat.set(ev.accountId, { name: ev.name, expiresAt: Date.now() + TYPING_EXPIRY_MS });
    const next = new Map(this.#chats);
    next.set(ev.chatId, chat);
    this.#chats = next;
    this.#schedule();
  }

  /** Someone's message arrived: they have stopped typing it. */
  clear(chatId: string, accountId: string): void {
    const chat = this.#chats.get(chatId);
    if (!chat?.has(accountId)) return;
    const rest = new Map(chat);
    rest.delete(accountId);
    const next = new Map(this.#chats);
    if (rest.size === 0) next.delete(chatId);
    else next.set(chatId, rest);
    this.#chats = next;
  }

  /** Names typing in a chat now, in the order they started. */
  names(chatId: string): string[] {
    const chat = this.#chats.get(chatId);
    return chat ? [...chat.values()].map((t) => t.name) : [];
  }

  reset(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#chats = new Map();
  }

  #schedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    let soonest = Infinity;
    for (const chat of this.#chats.values()) {
      for (const t of chat.values()) soonest = Math.min(soonest, t.expiresAt);
    }
    if (soonest === Infinity) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, soonest - Date.now()));
  }

  #expire(): void {
    this.#timer = null;
    const now = Date.now();
    const next = new Map<string, ReadonlyMap<string, Typist>>();
    for (const [chatId, chat] of this.#chats) {
      const alive = new Map([...chat].filter(([, t]) => t.expiresAt > now));
      if (alive.size > 0) next.set(chatId, alive);
    }
    this.#chats = next;
    this.#schedule();
  }
}
