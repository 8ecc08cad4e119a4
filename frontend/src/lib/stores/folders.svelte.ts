// Chat folders: the built-in views Telegram offers (all chats, unread, personal,
// groups, channels), computed here from the chats, and the user's own folders,
// which Go keeps and syncs (ChatService.Folders; the "folders" event says they
// changed). Which view the chat list shows is this window's choice alone.

import type { ChatSummary, Folder } from '../api';

/** The built-in views, in the order the tabs show them. */
export const BUILT_IN_VIEWS = [
  { id: 'all', name: 'All chats' },
  { id: 'unread', name: 'Unread' },
  { id: 'personal', name: 'Personal' },
  { id: 'groups', name: 'Groups' },
  { id: 'channels', name: 'Channels' },
] as const;

export type BuiltInView = (typeof BUILT_IN_VIEWS)[number]['id'];

/** Whether a chat belongs in a view: a built-in one, or a user folder by id. */
export function inView(chat: ChatSummary, view: string, folders: readonly Folder[]): boolean {
  switch (view) {
    case 'all':
      return true;
    case 'unread':
      return chat.unread > 0;
    case 'personal':
      return chat.kind === 'direct' || chat.kind === 'secret';
    case 'groups':
      return chat.kind === 'group';
    case 'channels':
      return chat.kind === 'channel';
  }
  return folders.find((f) => f.id === view)?.chatIds.includes(chat.id) ?? false;
}

export class FoldersStore {
  /** The user's folders, by name, as Go last answered. */
  list = $state.raw<readonly Folder[]>([]);
  /** Why reading them failed; '' when it did not. */
  error = $state('');
  /** The view the chat list shows: a built-in id or a folder's id. */
  #view = $state<string>('all');
  #asked = 0;

  /** The view shown; 'all' once the folder shown is gone (deleted elsewhere). */
  get view(): string {
    const v = this.#view;
    return BUILT_IN_VIEWS.some((b) => b.id === v) || this.list.some((f) => f.id === v) ? v : 'all';
  }

  set view(v: string) {
    this.#view = v;
  }

  /** Reads the folders from Go; an older answer never replaces a newer one. */
  async load(read: () => Promise<Folder[]>): Promise<void> {
    const ask = ++this.#asked;
    try {
      const list = await read();
      if (ask !== this.#asked) return;
      this.list = list;
      this.error = '';
    } catch (err) {
      if (ask !== this.#asked) return;
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** The folders a chat is in, by id. */
  of(chatId: string): string[] {
    return this.list.filter((f) => f.chatIds.includes(chatId)).map((f) => f.id);
  }

  /** The chats of the view shown, in their order. */
  filter<T extends ChatSummary>(chats: readonly T[]): T[] {
    const view = this.view;
    return chats.filter((c) => inView(c, view, this.list));
  }
}
