// Warnings from Go (a message failed verification and was dropped, a key
// changed), per chat, until the user dismisses them. Bounded: a flood of bad
// messages must not grow the page without limit.

import type { Warning as WarningEvent } from '../api';

/** Warnings kept per chat; older ones drop off. */
export const MAX_WARNINGS_PER_CHAT = 5;

export interface Warning {
  id: number;
  text: string;
}

export class WarningsStore {
  /** By chat id; '' holds warnings that belong to no chat. */
  byChat = $state.raw<ReadonlyMap<string, readonly Warning[]>>(new Map());
  #next = 1;

  add(ev: WarningEvent): void {
    const list = this.byChat.get(ev.chatId) ?? [];
    // The same text again (a second dropped message) is not news.
    if (list.some((w) => w.text === ev.text)) return;
    const next = new Map(this.byChat);
    next.set(ev.chatId, [...list, { id: this.#next++, text: ev.text }].slice(-MAX_WARNINGS_PER_CHAT));
    this.byChat = next;
  }

  of(chatId: string): readonly Warning[] {
    return this.byChat.get(chatId) ?? [];
  }

  dismiss(chatId: string, id: number): void {
    const list = this.byChat.get(chatId);
    if (!list) return;
    const next = new Map(this.byChat);
    const rest = list.filter((w) => w.id !== id);
    if (rest.length === 0) next.delete(chatId);
    else next.set(chatId, rest);
    this.byChat = next;
  }

  reset(): void {
    this.byChat = new Map();
  }
}
