// The actions on one open chat's messages, between the message list and Go:
// which message's menu is open, which dialog (edit, delete, forward), the
// selection of several messages, and the chat's pinned messages. Go answers
// each action with the message as it stands and announces it to every
// window (message:changed, message:hidden); the conversation store applies
// those, so nothing here changes messages itself.

import type { ChatSummary, Message } from '../api';
import type { Api } from '../api/client';
import { copiedText, copyToClipboard, failed, reactionWith, type MessageAction } from '../messageActions';
import { LOCAL_ID_PREFIX } from '../messenger.svelte';

/** A message shown before Go had it, whose Send was refused: Go knows no such id. */
function isLocalMessage(m: Message): boolean {
  return m.id.startsWith(LOCAL_ID_PREFIX);
}

export interface OpenMenu {
  message: Message;
  x: number;
  y: number;
  /** The element focus goes back to when the menu closes. */
  from: HTMLElement | null;
}

export class MessageActionsState {
  menu = $state<OpenMenu | null>(null);
  /** The emoji picker "More reactions…" opened, where the menu was. */
  reacting = $state<OpenMenu | null>(null);
  editing = $state<Message | null>(null);
  deleting = $state<readonly Message[] | null>(null);
  forwarding = $state<readonly Message[] | null>(null);
  /** Selection mode: the ids chosen, in the order chosen; null outside it. */
  selected = $state<readonly string[] | null>(null);
  pins = $state<readonly Message[]>([]);
  /** Said to screen readers (and shown) after an action without a visible trace (copy). */
  notice = $state('');
  /** Why the last action failed; '' when it did not. */
  error = $state('');

  constructor(
    private readonly api: Api,
    readonly chatId: string,
    /** Looks up a loaded message by id. */
    private readonly lookup: (id: string) => Message | undefined,
    /** Starts a reply (Conversation's). */
    private readonly reply: (m: Message) => void,
    /**
     * What becomes of a message Go never took (its Send was refused before it
     * was stored: a stand-in whose id starts with LOCAL_ID_PREFIX): sent anew,
     * or taken off the screen. Go knows no such id.
     */
    private readonly local?: { resend: (m: Message) => Promise<void>; drop: (m: Message) => void },
  ) {}

  get selecting(): boolean {
    return this.selected !== null;
  }

  isSelected(id: string): boolean {
    return this.selected?.includes(id) ?? false;
  }

  toggleSelected(m: Message): void {
    if (this.selected === null || m.service) return;
    this.selected = this.selected.includes(m.id) ? this.selected.filter((id) => id !== m.id) : [...this.selected, m.id];
  }

  /** The selected messages still loaded, oldest first. */
  selectedMessages(): Message[] {
    return (this.selected ?? [])
      .map((id) => this.lookup(id))
      .filter((m): m is Message => m !== undefined)
      .sort((a, b) => (a.seq || Infinity) - (b.seq || Infinity) || a.sentAt - b.sentAt);
  }

  leaveSelection(): void {
    this.selected = null;
  }

  /** Reads the pinned messages (on opening, and after message:changed says a pin moved). */
  async loadPins(): Promise<void> {
    try {
      this.pins = await this.api.chats.pinnedMessages(this.chatId);
    } catch {
      // The bar stays as it was; the next change reads again.
    }
  }

  /** A message changed (an event or an answer): the pinned bar follows. */
  noteChanged(m: Message): void {
    if (m.chatId !== this.chatId) return;
    const had = this.pins.some((p) => p.id === m.id);
    if (had || m.pinned) {
      if (!m.pinned || m.deleted) this.pins = this.pins.filter((p) => p.id !== m.id);
      else if (had) this.pins = this.pins.map((p) => (p.id === m.id ? m : p));
      else this.pins = [...this.pins, m];
    }
  }

  noteHidden(id: string): void {
    this.pins = this.pins.filter((p) => p.id !== id);
    if (this.selected?.includes(id)) this.selected = this.selected.filter((x) => x !== id);
  }

  async #run(what: string, fn: () => Promise<unknown>): Promise<void> {
    this.error = '';
    try {
      await fn();
    } catch (err) {
      this.error = `Could not ${what}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  async copy(messages: readonly Message[]): Promise<void> {
    const text = copiedText(messages);
    if (text === '') return;
    if (await copyToClipboard(text)) this.notice = messages.length === 1 ? 'Text copied' : `${messages.length} messages copied`;
    else this.error = 'Could not copy: the clipboard is not available.';
  }

  async react(m: Message, emoji: string, remove: boolean): Promise<void> {
    await this.#run(remove ? 'take back the reaction' : 'react', async () => {
      this.noteChanged(await this.api.chats.react(this.chatId, m.id, emoji, remove));
    });
  }

  async pin(m: Message, pinned: boolean): Promise<void> {
    await this.#run(pinned ? 'pin the message' : 'unpin the message', async () => {
      this.noteChanged(await this.api.chats.pinMessage(this.chatId, m.id, pinned));
    });
  }

  async retry(m: Message): Promise<void> {
    const local = this.local;
    if (isLocalMessage(m) && local) {
      await this.#run('send the message again', () => local.resend(m));
      return;
    }
    await this.#run('send the message again', () => this.api.chats.retryMessage(this.chatId, m.id));
  }

  /** Saves an edit; rejects with Go's reason, for the dialog to show. */
  async saveEdit(m: Message, body: string): Promise<void> {
    await this.api.chats.editMessage(this.chatId, m.id, body);
    this.editing = null;
  }

  /** Deletes what the dialog asked about; rejects with Go's reason. */
  async delete(forEveryone: boolean): Promise<void> {
    const all = this.deleting ?? [];
    const local = this.local;
    const list = local ? all.filter((m) => !isLocalMessage(m)) : all;
    if (local) for (const m of all) if (isLocalMessage(m)) local.drop(m);
    if (list.length > 0) {
      await this.api.chats.deleteMessages(
        this.chatId,
        list.map((m) => m.id),
        forEveryone,
      );
    }
    this.deleting = null;
    this.selected = null;
  }

  /** Forwards what the dialog asked about to a chat; rejects with Go's reason. */
  async forward(to: ChatSummary): Promise<void> {
    const list = this.forwarding ?? [];
    await this.api.chats.forward(
      this.chatId,
      list.map((m) => m.id),
      to.id,
    );
    this.forwarding = null;
    this.selected = null;
    this.notice = list.length === 1 ? `Forwarded to ${to.title}` : `${list.length} messages forwarded to ${to.title}`;
  }

  /** Reacts to m with an emoji from the picker (or takes that reaction back). */
  reactWith(m: Message, unicode: string): Promise<void> {
    const now = this.lookup(m.id) ?? m;
    const { react, remove } = reactionWith(now, unicode);
    return this.react(now, react, remove);
  }

  /** Does what was chosen in a message's menu (`menu`: where it was, for a picker it opens). */
  choose(m: Message, action: MessageAction, menu: OpenMenu | null = this.menu): void {
    this.menu = null;
    if (typeof action === 'object') {
      void this.react(m, action.react, action.remove);
      return;
    }
    switch (action) {
      case 'reply':
        this.reply(m);
        break;
      case 'edit':
        this.editing = m;
        break;
      case 'more-reactions':
        this.reacting = { message: m, x: menu?.x ?? 0, y: menu?.y ?? 0, from: menu?.from ?? null };
        break;
      case 'copy':
        void this.copy([m]);
        break;
      case 'forward':
        this.forwarding = [m];
        break;
      case 'pin':
      case 'unpin':
        void this.pin(m, action === 'pin');
        break;
      case 'select':
        this.selected = [m.id];
        break;
      case 'delete':
        this.deleting = [m];
        break;
      case 'retry':
        void this.retry(m);
        break;
    }
  }

  /** Whether every message asked about is one that never left this device. */
  static localOnly(list: readonly Message[]): boolean {
    return list.length > 0 && list.every(failed);
  }
}
