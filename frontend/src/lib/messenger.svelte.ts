// The messaging state of one unlocked window and the event wiring that keeps
// it current. MainWindow creates one on mount and drops it on unmount (the
// vault locked), so nothing read from the vault outlives the lock. Components
// reach it through Svelte context, like the app's other stores.

import { getContext, setContext } from 'svelte';
import { isUnavailable, type Api, type ChatSummary, type Contact, type LinkPreview, type Message, type Notify, type StagedFile } from './api';
import { SPLIT_FROM_BYTES, utf8Length } from './format';
import { ChatListStore, isRequest } from './stores/chats.svelte';
import { ConnectionStore } from './stores/connection.svelte';
import { ContactsStore } from './stores/contacts.svelte';
import { ConversationStore } from './stores/conversation.svelte';
import { FoldersStore } from './stores/folders.svelte';
import { TransfersStore } from './stores/transfers.svelte';
import { SyncStore } from './stores/sync.svelte';
import { TypingStore } from './stores/typing.svelte';
import { WarningsStore } from './stores/warnings.svelte';

/**
 * Starts the id of a message shown while Go has not answered its Send yet
 * (Go's ids are hex, so they never start so). Such a message that failed was
 * refused by Go and exists nowhere else.
 */
export const LOCAL_ID_PREFIX = 'local-';

/** What the messenger needs from the window; tests pass their own. */
export interface MessengerEnv {
  /** Whether the user is looking at the window (visible and focused). */
  attentive(): boolean;
  /**
   * Shows a notification Go asked for (the notify event); absent where Go
   * shows native ones itself (the desktop window), so none is shown twice.
   * Whether to notify and the words are Go's (app/notify.go).
   */
  notify?: (chatId: string, title: string, body: string, onclick: () => void) => void;
  /**
   * Closes the notifications shown for a chat: one of its secret messages
   * self-destructed, and a notification must not outlive it.
   */
  withdraw?: (chatId: string) => void;
}

/** The browser's view of attention, and in browser mode its notifications. */
export function windowEnv(api: Api, win: Window = window): MessengerEnv {
  const env: MessengerEnv = {
    attentive: () => win.document.visibilityState === 'visible' && win.document.hasFocus(),
  };
  if (api.mode === 'browser') {
    const shown = new Map<string, Set<Notification>>();
    env.notify = (chatId, title, body, onclick) => {
      const N = (win as Window & { Notification?: typeof Notification }).Notification;
      if (!N || N.permission !== 'granted') return;
      try {
        const n = new N(title, { body });
        let set = shown.get(chatId);
        if (!set) shown.set(chatId, (set = new Set()));
        set.add(n);
        const forget = () => {
          set.delete(n);
          if (set.size === 0 && shown.get(chatId) === set) shown.delete(chatId);
        };
        n.onclick = () => {
          win.focus();
          onclick();
          n.close();
          forget();
        };
        n.onclose = forget;
      } catch {
        // Some browsers allow notifications only from a service worker.
      }
    };
    env.withdraw = (chatId) => {
      const set = shown.get(chatId);
      shown.delete(chatId);
      for (const n of set ?? []) n.close();
    };
  }
  return env;
}

export class Messenger {
  readonly chats = new ChatListStore();
  readonly contacts = new ContactsStore();
  /** Numbers the stand-ins of messages being sent (LOCAL_ID_PREFIX). */
  #localSends = 0;
  /** Per chat, the send in flight that the next one waits for. */
  #sending = new Map<string, Promise<void>>();
  readonly connection = new ConnectionStore();
  readonly typing = new TypingStore();
  readonly warnings = new WarningsStore();
  /** The user's chat folders and the view the chat list shows. */
  readonly folders = new FoldersStore();
  /** History sync: how far fetching the account's history got, and Pause/Resume. */
  readonly sync = new SyncStore((paused) => this.api.devices.pauseSync(paused));
  /** False when this build of Hush has no messaging services yet. */
  available = $state(true);
  /** The open chat; null shows the empty pane. */
  selectedId = $state<string | null>(null);
  /** The left column shows the chat requests instead of the chat list. */
  showingRequests = $state(false);
  /** The left column shows the archived chats instead of the chat list. */
  showingArchived = $state(false);
  /** Bumped when cached conversations are dropped, so views re-read them. */
  #generation = $state(0);
  #conversations = new Map<string, ConversationStore>();
  /** The read receipts switch as last followed (followReadReceipts); undefined before. */
  #readReceipts: boolean | undefined;
  #marking = new Set<string>();
  #duringLoad: (() => void)[] | null = null;
  /**
   * Text typed in a chat and not yet saved as its draft in Go (the saved
   * draft is ChatSummary.draft), so a chat reopened at once gets it back.
   */
  readonly drafts = new Map<string, string>();
  /** The message being answered per chat, kept like the draft. */
  readonly replies = new Map<string, Message>();
  /** Uploads of messages of files and downloads of received files. */
  readonly transfers: TransfersStore;
  /**
   * Where files dropped on the desktop window go (the open chat's send
   * sheet); with none, Go's staged copies are discarded at once.
   */
  #dropTarget: ((files: StagedFile[]) => void) | null = null;

  constructor(
    readonly api: Api,
    private readonly env: MessengerEnv,
  ) {
    this.transfers = new TransfersStore(api.files);
  }

  /**
   * Takes the files dropped on the desktop window (files:dropped) while set;
   * returns the function that stops it.
   */
  receiveDrops(target: (files: StagedFile[]) => void): () => void {
    this.#dropTarget = target;
    return () => {
      if (this.#dropTarget === target) this.#dropTarget = null;
    };
  }

  /** The open chat's summary, if it still exists. */
  get selected(): ChatSummary | undefined {
    return this.selectedId === null ? undefined : this.chats.get(this.selectedId);
  }

  /** Subscribes to Go's events and reads the current state; returns the stop function. */
  start(): () => void {
    const { api } = this;
    const offs = [
      api.on('connection:changed', (c) => this.connection.set(c)),
      api.on('chat:updated', (c) => {
        this.#renamedPeer(c);
        this.chats.upsert(c);
        this.#duringLoad?.push(() => this.chats.upsert(c));
        this.#settleRequests();
        this.#settleArchived();
        this.markReadIfSeen(c.id);
      }),
      api.on('chat:removed', ({ chatId }) => {
        this.#removed(chatId);
        this.#duringLoad?.push(() => this.chats.remove(chatId));
      }),
      api.on('message:new', (m) => this.#onMessage(m)),
      api.on('message:status', (ev) => this.#conversations.get(ev.chatId)?.applyStatus(ev)),
      api.on('message:expired', ({ chatId, messageId }) => this.#onExpired(chatId, messageId)),
      // Edited, deleted for everyone, reacted to, pinned: the message as it stands.
      api.on('message:changed', (m) => this.#conversations.get(m.chatId)?.change(m)),
      // Deleted for this account (here or on another of its devices).
      api.on('message:hidden', ({ chatId, messageId }) => {
        this.#conversations.get(chatId)?.remove(messageId);
        if (this.replies.get(chatId)?.id === messageId) this.replies.delete(chatId);
      }),
      api.on('typing', (ev) => this.typing.add(ev)),
      api.on('file:progress', (p) => this.transfers.apply(p)),
      api.on('files:dropped', ({ files }) => {
        if (this.#dropTarget) this.#dropTarget(files);
        else {
          const ids = files.filter((f) => f.id !== '').map((f) => f.id);
          if (ids.length > 0) void api.files.discard(ids).catch(() => {});
        }
      }),
      api.on('sync:progress', (p) => this.sync.set(p)),
      api.on('folders', () => void this.loadFolders()),
      api.on('warning', (ev) => {
        this.warnings.add(ev);
        // A changed key arrives as a warning: re-read who is verified.
        void this.loadContacts();
      }),
      ...(this.env.notify ? [api.on('notify', (n) => this.#onNotify(n))] : []),
      // Events sent while the stream was down are lost: read everything again.
      api.onReconnect(() => {
        this.#reread();
        void this.refresh();
      }),
    ];
    void this.refresh();
    return () => {
      for (const off of offs) off();
      this.typing.reset();
      this.connection.reset();
      this.sync.reset();
      this.transfers.reset();
    };
  }

  /** Reads connection, chats and contacts from Go. */
  async refresh(): Promise<void> {
    await Promise.all([
      this.loadConnection(),
      this.loadChats(),
      this.loadContacts(),
      this.loadSyncPaused(),
      this.loadFolders(),
    ]);
  }

  /** Reads the chat folders from Go. */
  async loadFolders(): Promise<void> {
    await this.folders.load(() => this.api.chats.folders());
  }

  /**
   * A pause outlives a reload of the UI: Go still holds it, and only its
   * answer tells the bar to offer Resume (no event comes until then).
   */
  async loadSyncPaused(): Promise<void> {
    try {
      if (await this.api.devices.syncPaused()) {
        this.sync.set({ chatsDone: 0, chatsTotal: 0, messagesDone: 0, messagesTotal: 0, running: false, paused: true });
      }
    } catch (err) {
      this.#failed(err);
    }
  }

  async loadConnection(): Promise<void> {
    try {
      const mark = this.connection.mark();
      this.connection.answer(await this.api.connection.status(), mark);
    } catch (err) {
      this.#failed(err);
    }
  }

  async loadChats(): Promise<void> {
    // A List answer describes the moment it was asked; chat events that
    // arrive while it travels are newer, so they are applied again on top.
    const replay: (() => void)[] = [];
    this.#duringLoad = replay;
    try {
      const list = await this.api.chats.list();
      this.chats.set(list);
      for (const apply of replay) apply();
      this.#settleRequests();
      this.#settleArchived();
    } catch (err) {
      if (!this.#failed(err)) this.chats.error = messageOf(err);
    } finally {
      if (this.#duringLoad === replay) this.#duringLoad = null;
    }
  }

  /**
   * A direct chat is titled by its contact's name: a new title means the
   * name that travels in the contact's messages replaced the one held (the
   * @handle, at first). The contact dialog, pickers and member lists read
   * the contacts, so they are read again.
   */
  #renamedPeer(c: ChatSummary): void {
    if ((c.kind !== 'direct' && c.kind !== 'secret') || c.peerId === '') return;
    const contact = this.contacts.get(c.peerId);
    if (contact && contact.displayName !== c.title) void this.loadContacts();
  }

  async loadContacts(): Promise<void> {
    try {
      this.contacts.set(await this.api.contacts.list());
    } catch (err) {
      this.#failed(err);
    }
  }

  /**
   * Go derives the ticks, and the read receipts switch changes which show
   * (off: nobody's "read", except in secret chats): when it turns, the
   * conversations are read again. The first value only says where things stand.
   */
  followReadReceipts(on: boolean): void {
    if (this.#readReceipts !== undefined && on !== this.#readReceipts) this.#reread();
    this.#readReceipts = on;
  }

  /** Drops the cached conversations, so the views read them from Go again. */
  #reread(): void {
    this.#conversations.clear();
    this.#generation++;
  }

  /** A chat's messages (cached while the window lives). */
  conversation(chatId: string): ConversationStore {
    void this.#generation;
    let c = this.#conversations.get(chatId);
    if (!c) {
      c = new ConversationStore(chatId, (before, limit) => this.api.chats.messages(chatId, before, limit));
      this.#conversations.set(chatId, c);
    }
    return c;
  }

  /**
   * Opens a chat in the right pane, and beside it the list it belongs to
   * (a notification's click may open a request, or a chat, from either).
   */
  select(chatId: string | null): void {
    this.selectedId = chatId;
    if (chatId === null) return;
    const chat = this.chats.get(chatId);
    if (chat) {
      this.showingRequests = isRequest(chat);
      this.showingArchived = !isRequest(chat) && chat.archived;
    }
    this.markReadIfSeen(chatId);
  }

  /** Shows a chat Go just created or returned (OpenDirect, CreateGroup …) and opens it. */
  open(chat: ChatSummary): void {
    this.chats.upsert(chat);
    this.select(chat.id);
  }

  /**
   * Tells Go the open chat was read, when it has unread messages and the
   * user can see it. Called on open, on chat:updated and on window focus.
   * Never for a request: reading one would tell its sender it was seen.
   */
  markReadIfSeen(chatId: string): void {
    const chat = this.chats.get(chatId);
    if (!chat || isRequest(chat) || chat.unread === 0 || this.selectedId !== chatId || !this.env.attentive()) return;
    if (this.#marking.has(chatId)) return;
    this.#marking.add(chatId);
    this.api.chats.markRead(chatId).then(
      () => {
        this.#marking.delete(chatId);
        // Go follows with chat:updated; show the change now anyway.
        const now = this.chats.get(chatId);
        if (now) this.chats.upsert({ ...now, unread: 0 });
      },
      () => this.#marking.delete(chatId),
    );
  }

  /**
   * Sends a message. It shows at once as pending, before Go has it (after
   * `ready`, say a draft save that must reach Go first), and becomes Go's
   * message when Send answers; refused, it stays and shows as failed. A text
   * that may not fit one message is sent as several (Go splits it: SendSplit);
   * the stand-in becomes the first part. Resolves with the last message sent.
   * Rejects with Go's error.
   */
  async send(
    chatId: string,
    body: string,
    replyTo = '',
    ready?: Promise<unknown>,
    preview: LinkPreview | null = null,
  ): Promise<Message> {
    const shown = this.conversation(chatId);
    const localId = `${LOCAL_ID_PREFIX}${++this.#localSends}`;
    shown.add({
      id: localId,
      chatId,
      senderId: '',
      senderName: '',
      outgoing: true,
      body,
      sentAt: Date.now(),
      seq: 0,
      status: 'pending',
      replyTo,
      service: false,
      clockOff: false,
      ttl: 0,
      expiresAt: 0,
      editedAt: 0,
      deleted: false,
      reactions: [],
      pinned: false,
      forwardedFrom: '',
      files: [],
      preview,
    });
    // One send after another per chat, so Go numbers them in the order typed
    // (two calls in flight at once may reach Go in either order).
    const before = this.#sending.get(chatId);
    const call = (async () => {
      await before;
      await ready;
      if (utf8Length(body) > SPLIT_FROM_BYTES) return this.api.chats.sendSplit(chatId, body, replyTo);
      return [
        preview
          ? await this.api.chats.sendWithPreview(chatId, body, replyTo, preview)
          : await this.api.chats.send(chatId, body, replyTo),
      ];
    })();
    const settled = call.then(
      () => {},
      () => {},
    );
    this.#sending.set(chatId, settled);
    let sent: Message[];
    try {
      sent = await call;
    } catch (err) {
      shown.fail(localId);
      throw err;
    } finally {
      if (this.#sending.get(chatId) === settled) this.#sending.delete(chatId);
    }
    const [first, ...rest] = sent;
    const m = sent[sent.length - 1];
    if (!first || !m) {
      shown.fail(localId);
      throw new Error('Nothing was sent.');
    }
    const current = this.conversation(chatId);
    if (current === shown) shown.settle(localId, first);
    else current.add(first); // re-read after a reconnect: the stand-in went with the old store
    for (const part of rest) current.add(part);
    const chat = this.chats.get(chatId);
    // Go cleared the draft too (a chat:updated follows).
    if (chat) this.chats.upsert({ ...chat, lastMessage: m.body, lastMessageAt: m.sentAt, draft: '' });
    this.drafts.delete(chatId);
    return m;
  }

  /** Pins or unpins a chat. Rejects with Go's error. */
  async setPinned(chatId: string, pinned: boolean): Promise<ChatSummary> {
    return this.#changed(await this.api.chats.setPinned(chatId, pinned));
  }

  /**
   * Moves a chat to the archive or back (on every device of the account).
   * Rejects with Go's error.
   */
  async setArchived(chatId: string, archived: boolean): Promise<ChatSummary> {
    return this.#changed(await this.api.chats.setArchived(chatId, archived));
  }

  /** Mutes or unmutes a chat's notifications (on every device). Rejects with Go's error. */
  async setMuted(chatId: string, muted: boolean): Promise<ChatSummary> {
    return this.#changed(await this.api.chats.setMuted(chatId, muted));
  }

  /**
   * Sets a cloud chat's auto-delete time (RULES.autoDeleteSeconds; 0 turns it
   * off) for every member. Rejects with Go's error.
   */
  async setAutoDelete(chatId: string, seconds: number): Promise<ChatSummary> {
    return this.#changed(await this.api.chats.setAutoDelete(chatId, seconds));
  }

  /**
   * Saves a chat's draft in Go ("" clears it); it follows the user to their
   * other devices. Rejects with Go's error.
   */
  async saveDraft(chatId: string, text: string): Promise<ChatSummary> {
    return this.#changed(await this.api.chats.setDraft(chatId, text));
  }

  #changed(chat: ChatSummary): ChatSummary {
    this.chats.upsert(chat);
    this.#settleArchived();
    return chat;
  }

  /**
   * Accepts a chat request: Go moves it to the chat list and reads it, and
   * it opens there. Rejects with Go's error.
   */
  async accept(chatId: string): Promise<ChatSummary> {
    const chat = await this.api.chats.accept(chatId);
    // Go reads the chat afresh once accepted: so does the window.
    this.#conversations.delete(chatId);
    this.#generation++;
    this.showingRequests = false;
    this.open(chat);
    return chat;
  }

  /**
   * Declines a chat request, and with block also blocks whoever started it.
   * Go deletes it here (chat:removed follows). Rejects with Go's error.
   */
  async decline(chatId: string, block: boolean): Promise<void> {
    await this.api.chats.decline(chatId, block);
    this.#removed(chatId);
  }

  /**
   * Deletes a chat this account is no longer in (held as removed,
   * unavailable or tampered) with its history. Rejects with Go's error.
   */
  async deleteChat(chatId: string): Promise<void> {
    await this.api.chats.delete(chatId);
    this.#removed(chatId);
  }

  /** Gives a group or channel a new title. Rejects with Go's error. */
  async rename(chatId: string, title: string): Promise<ChatSummary> {
    const chat = await this.api.chats.rename(chatId, title);
    this.chats.upsert(chat);
    return chat;
  }

  setDraft(chatId: string, text: string): void {
    if (text === '') this.drafts.delete(chatId);
    else this.drafts.set(chatId, text);
  }

  setReply(chatId: string, message: Message | null): void {
    if (message === null) this.replies.delete(chatId);
    else this.replies.set(chatId, message);
  }

  /** Tells the chat we are typing; a lost signal is not worth an error. */
  reportTyping(chatId: string): void {
    this.api.chats.typing(chatId).catch(() => {});
  }

  /**
   * Adds a contact by handle (looked up at the relay, keys pinned on first
   * use) and remembers it. Rejects with Go's error (unknown handle …).
   */
  async addContact(handle: string): Promise<Contact> {
    const c = await this.api.contacts.add(handle);
    this.contacts.upsert(c);
    return c;
  }

  /** Forgets a chat Go removed (or the user declined or deleted). */
  #removed(chatId: string): void {
    this.chats.remove(chatId);
    this.#conversations.delete(chatId);
    this.drafts.delete(chatId);
    this.replies.delete(chatId);
    if (this.selectedId === chatId) this.selectedId = null;
    this.#settleRequests();
    this.#settleArchived();
  }

  /** Back to the chat list once no archived chat is left (unarchived here or elsewhere). */
  #settleArchived(): void {
    if (this.showingArchived && this.chats.archived.length === 0) this.showingArchived = false;
  }

  /** Back to the chat list once no request is left (accepted, declined, elsewhere too). */
  #settleRequests(): void {
    if (this.showingRequests && this.chats.requests.length === 0) this.showingRequests = false;
  }

  #onMessage(m: Message): void {
    this.#conversations.get(m.chatId)?.add(m);
    this.typing.clear(m.chatId, m.senderId);
  }

  /** Shows what Go asked to notify; a click opens the chat. */
  #onNotify(n: Notify): void {
    this.env.notify?.(n.chatId, n.title, n.body, () => this.select(n.chatId));
  }

  /** A secret message self-destructed: nothing of it may stay on screen. */
  #onExpired(chatId: string, messageId: string): void {
    this.conversation(chatId).remove(messageId);
    if (this.replies.get(chatId)?.id === messageId) this.replies.delete(chatId);
    this.env.withdraw?.(chatId);
  }

  /** Marks messaging unavailable on a missing method; true if that was the cause. */
  #failed(err: unknown): boolean {
    if (isUnavailable(err)) {
      this.available = false;
      return true;
    }
    return false;
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const key = Symbol('hush-messenger');

/** The context key, for tests that render a component with their own messenger. */
export const MESSENGER_CONTEXT_KEY = key;

export function setMessenger(m: Messenger): void {
  setContext(key, m);
}

export function getMessenger(): Messenger {
  const m = getContext<Messenger | undefined>(key);
  if (!m) throw new Error('Hush messenger context is missing');
  return m;
}

/** The messenger when there is one (settings opened outside the main window has none). */
export function findMessenger(): Messenger | undefined {
  return getContext<Messenger | undefined>(key);
}
