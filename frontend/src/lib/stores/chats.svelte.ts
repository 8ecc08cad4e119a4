// The chat list as last read from Go (ChatService.List) and kept current by
// chat:updated / chat:removed, always in the list's order: pinned first,
// then most recent activity. Go lists chat requests (hold "request") with
// the rest; they are shown apart, under Requests (docs/API.md, ChatSummary),
// and so are archived chats, under "Archived chats".

import type { ChatSummary } from '../api';
import { compareChats } from '../format';

export class ChatListStore {
  /** Sorted; replaced (never mutated) so readers can hold a snapshot. */
  chats = $state.raw<readonly ChatSummary[]>([]);
  /** False until the first List answered. */
  loaded = $state(false);
  /** Why the list could not be read; '' when it could. */
  error = $state('');
  /** The chat list proper: every chat but the requests. */
  readonly listed = $derived(this.chats.filter((c) => !isRequest(c)));
  /** The main chat list: the listed chats that are not archived. */
  readonly unarchived = $derived(this.listed.filter((c) => !c.archived));
  /** The listed chats moved to the archive. */
  readonly archived = $derived(this.listed.filter((c) => c.archived));
  /** Chats someone who is not a contact started, waiting for Accept or Decline. */
  readonly requests = $derived(this.chats.filter(isRequest));
  /** The unread messages the window title counts: in the main list, not muted. */
  readonly unreadTotal = $derived(this.unarchived.reduce((sum, c) => sum + (c.muted ? 0 : c.unread), 0));

  set(list: readonly ChatSummary[]): void {
    const seen = new Map<string, ChatSummary>();
    for (const c of list) seen.set(c.id, c);
    this.chats = [...seen.values()].sort(compareChats);
    this.loaded = true;
    this.error = '';
  }

  get(id: string): ChatSummary | undefined {
    return this.chats.find((c) => c.id === id);
  }

  /** Adds or replaces one chat and puts it where it belongs. */
  upsert(chat: ChatSummary): void {
    this.chats = [...this.chats.filter((c) => c.id !== chat.id), chat].sort(compareChats);
  }

  remove(id: string): void {
    this.chats = this.chats.filter((c) => c.id !== id);
  }

  reset(): void {
    this.chats = [];
    this.loaded = false;
    this.error = '';
  }
}

/** Whether a chat waits under Requests rather than in the chat list. */
export function isRequest(chat: Pick<ChatSummary, 'hold'>): boolean {
  return chat.hold === 'request';
}
