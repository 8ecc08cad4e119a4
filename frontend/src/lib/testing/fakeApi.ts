// A small in-memory stand-in for the Go side, for component tests only
// (there is no Go backend in unit tests; the e2e suite drives the real one).
// It keeps just enough state — vault state, passphrase, settings — for the
// screens to behave as they would against Go, and every method is a vi.fn
// so tests can assert calls or override one answer.

import { vi, type Mock } from 'vitest';
import {
  ApiError,
  RULES,
  type AccountService,
  type BackupExportOptions,
  type BackupFiles,
  type BackupService,
  type BlockedAccount,
  type Api,
  type ChatService,
  type ChatSummary,
  type Connection,
  type ConnectionService,
  type FileService,
  type Contact,
  type Device,
  type DeviceService,
  type LinkCheck,
  type LinkPreview,
  type ContactService,
  type EventMap,
  type EventName,
  type Folder,
  type Member,
  type Message,
  type Profile,
  type RelayUsage,
  type Role,
  type SearchHit,
  type Settings,
  type SettingsService,
  type SnippetPart,
  type StagedFile,
  type Status,
  type WindowService,
} from '../api';

type Mocked<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? Mock<(...a: A) => R> : T[K] };

export interface FakeApi extends Api {
  readonly account: Mocked<AccountService>;
  readonly settings: Mocked<SettingsService>;
  readonly connection: Mocked<ConnectionService>;
  readonly contacts: Mocked<ContactService>;
  readonly chats: Mocked<ChatService>;
  readonly devices: Mocked<DeviceService>;
  readonly window: Mocked<WindowService>;
  readonly backup: Mocked<BackupService>;
  readonly files: Mocked<FileService>;
  /** Delivers an event as Go would. */
  emit<K extends EventName>(name: K, payload: EventMap[K]): void;
  /** Simulates the event stream coming back after a drop. */
  reconnect(): void;
  /**
   * As Go learns this device was removed from its account: Status says so
   * from then on (status.removed), and devices:changed tells the windows.
   * `verified`: from the signed device list (true) or only the relay (false).
   */
  removeThisDevice(verified?: boolean): void;
  /** The fake backend's state, for assertions and set-up. */
  backend: {
    status: Status;
    passphrase: string;
    settings: Settings;
    connection: Connection;
    /** What the fake relay counts against this account (ConnectionService.Usage). */
    usage: RelayUsage;
    /** Accounts the fake relay knows, by handle (without @). */
    directory: Map<string, Contact>;
    contacts: Map<string, Contact>;
    chats: Map<string, ChatSummary>;
    members: Map<string, Member[]>;
    /** Per chat, oldest first. */
    messages: Map<string, Message[]>;
    /** What ChatService.LinkPreview answers, by URL (with the setting on). */
    linkPreviews: Map<string, LinkPreview>;
    /** Accounts blocked with SetBlocked or Decline(…, true), with when. */
    blocked: Map<string, number>;
    /** This account's devices, in the order linked. */
    devices: Device[];
    /**
     * The link session LinkStart opened on this new device, until LinkCancel
     * (specs then emit link:progress as Go would); null when none.
     */
    linking: { relayUrl: string; passphrase: string; code: string; expiresAt: number } | null;
    /** Link sessions Link began on this existing device, until confirmed or cancelled. */
    linkSessions: Set<string>;
    /**
     * When true, Link waits for a new device that never answers, until
     * CancelLink('') ends the wait (Link then rejects, as Go's does).
     */
    linkWaits: boolean;
    /** History sync paused with PauseSync. */
    syncPaused: boolean;
    /** Each contact's devices, newest first (ContactDevices), by account id. */
    contactDevices: Map<string, Device[]>;
    /** What WindowService.SetSecretOpen was last told. */
    secretOpen: boolean;
    /** The user's chat folders, by name as Go lists them. */
    folders: Folder[];
    /** Files staged to send (uploads, pastes, the dialog's choice), by id. */
    staged: Map<string, StagedFile>;
    /** What the desktop window's open dialog answers (FileService.ChooseFiles). */
    chosenFiles: StagedFile[];
  };
  readonly upload: Mock<(file: Blob, name?: string) => Promise<string>>;
}

/** This account in the fake backend. */
export const ME = 'a'.repeat(32);

/** A fresh random 32-hex-digit id, like Go's. */
/** A body cut into runs, the occurrences of terms (lower case) marked as hits. */
export function markTerms(body: string, terms: readonly string[]): SnippetPart[] {
  const lower = body.toLowerCase();
  const hit = new Array<boolean>(body.length).fill(false);
  for (const t of terms) {
    for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + 1)) hit.fill(true, i, i + t.length);
  }
  const parts: SnippetPart[] = [];
  for (let i = 0; i < body.length; ) {
    let j = i;
    while (j < body.length && hit[j] === hit[i]) j++;
    parts.push({ text: body.slice(i, j), hit: hit[i]! });
    i = j;
  }
  return parts;
}

export function fakeId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function sampleContact(handle: string, over: Partial<Contact> = {}): Contact {
  return {
    accountId: fakeId(),
    handle,
    displayName: handle.charAt(0).toUpperCase() + handle.slice(1),
    fingerprint: `hush-acct:${handle}`,
    verified: false,
    keyChanged: false,
    ...over,
  };
}

export function sampleChat(over: Partial<ChatSummary> = {}): ChatSummary {
  return {
    id: fakeId(),
    kind: 'direct',
    title: 'Chat',
    lastMessage: '',
    lastMessageAt: 0,
    unread: 0,
    pinned: false,
    archived: false,
    muted: false,
    draft: '',
    myRole: 'owner',
    canPost: true,
    memberCount: 2,
    hold: '',
    holdText: '',
    peerId: '',
    secretDeviceId: '',
    secretDeviceName: '',
    secretTimer: 0,
    autoDelete: 0,
    canSetAutoDelete: false,
    ...over,
  };
}

export function sampleMessage(over: Partial<Message> = {}): Message {
  return {
    id: fakeId(),
    chatId: 'c'.repeat(32),
    senderId: 'b'.repeat(32),
    senderName: 'Bob',
    outgoing: false,
    body: 'hello',
    sentAt: Date.now(),
    seq: 1,
    status: 'sent',
    replyTo: '',
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
    preview: null,
    ...over,
  };
}

export const sampleSettings: Settings = {
  theme: 'system',
  autoLockMinutes: 15,
  notifications: true,
  notificationPreview: false,
  deviceName: 'Laptop',
  displayName: 'Ada',
  accountFingerprint: 'hush-acct:3f2a 91bc 0d44 e7a1 5c09 b2de 7781 aa40',
  deviceFingerprint: 'hush-dev:7c11 02ef 9ab3 4d5e',
  dataDir: '/home/ada/.config/Hush',
  portable: false,
  screenProtection: true,
  screenProtectionSupport: 'unavailable',
  typingIndicators: true,
  readReceipts: true,
  linkPreviews: false,
  version: '0.1.0-test',
};

/** How long a link code lasts, as Go's devicelink.CodeLifetime. */
export const LINK_CODE_LIFETIME_MS = 5 * 60 * 1000;

/** A code like Go's: "HUSH:" and upper-case base32 (QR alphanumeric characters only). */
export function fakeLinkCode(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const b = crypto.getRandomValues(new Uint8Array(128));
  return `HUSH:${Array.from(b, (x) => alphabet[x % 32]).join('')}`;
}

/** The string both devices show in the fake backend (Go derives it from the session). */
export const sampleLinkCheck: LinkCheck = {
  sessionId: 'e'.repeat(32),
  emoji: [
    { char: '🐶', name: 'Dog' },
    { char: '🔑', name: 'Key' },
    { char: '🌵', name: 'Cactus' },
    { char: '🎈', name: 'Balloon' },
    { char: '🚲', name: 'Bicycle' },
  ],
  digits: '123 456',
};

/** A Status as Go sends it: no removal, the default relay; `over` changes the rest. */
export function sampleStatus(over: Partial<Status> = {}): Status {
  return {
    state: 'locked',
    retryAfterMs: 0,
    defaultRelayUrl: 'ws://127.0.0.1:8443',
    removed: false,
    removedVerified: false,
    ...over,
  };
}

export function profileOf(s: Settings): Profile {
  return {
    displayName: s.displayName,
    accountFingerprint: s.accountFingerprint,
    deviceId: 'dev-1',
    deviceName: s.deviceName,
  };
}

/** Puts a chat in the fake backend with this account (Ada) and `members` in it, and no messages. */
export function addChat(api: FakeApi, chat: ChatSummary, members: readonly Contact[]): void {
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, [
    { accountId: ME, handle: 'ada', displayName: 'Ada', role: chat.myRole, isMe: true },
    ...members.map((c) => ({ accountId: c.accountId, handle: c.handle, displayName: c.displayName, role: 'member' as const, isMe: false })),
  ]);
  api.backend.messages.set(chat.id, []);
}

export function createFakeApi(initial: Partial<Status> = {}): FakeApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const reconnects = new Set<() => void>();
  const backend: FakeApi['backend'] = {
    status: sampleStatus(initial),
    passphrase: 'correct horse battery staple',
    settings: { ...sampleSettings },
    connection: { state: 'online', relayUrl: 'ws://127.0.0.1:8443', retryInMs: 0, error: '', handle: 'ada' },
    usage: {
      usedBytes: 3 << 20,
      quotaBytes: 1 << 30,
      devices: 1,
      maxDevices: 32,
      filesUsedBytes: 12 << 20,
      filesQuotaBytes: 2 * 2 ** 30,
    },
    directory: new Map(),
    contacts: new Map(),
    chats: new Map(),
    members: new Map(),
    messages: new Map(),
    linkPreviews: new Map(),
    blocked: new Map(),
    devices: [
      { id: 'd'.repeat(32), name: 'This computer', platform: 'linux', linkedAt: Date.now(), this: true, lastSeen: Date.now() },
    ],
    linking: null,
    linkSessions: new Set(),
    linkWaits: false,
    syncPaused: false,
    contactDevices: new Map(),
    secretOpen: false,
    folders: [],
    staged: new Map(),
    chosenFiles: [],
  };
  const fire = <K extends EventName>(name: K, payload: EventMap[K]): void => {
    for (const h of [...(listeners.get(name) ?? [])]) h(payload);
  };

  const folderOf = (id: string): Folder => {
    const f = backend.folders.find((x) => x.id === id);
    if (!f) throw new ApiError('Not found: there is no such folder (deleted on another device?)', 404);
    return f;
  };
  const sortFolders = (fs: Folder[]): Folder[] =>
    [...fs].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id));

  const unlockedOnly = (): void => {
    if (backend.status.state !== 'unlocked') throw new ApiError('vault is locked', 409);
  };

  const account = {
    status: vi.fn(async () => ({ ...backend.status })),
    create: vi.fn(async (displayName: string, passphrase: string) => {
      if (backend.status.state !== 'new') throw new ApiError('account already exists', 409);
      backend.passphrase = passphrase;
      backend.settings = { ...backend.settings, displayName };
      backend.status = { ...backend.status, state: 'unlocked' };
      return profileOf(backend.settings);
    }),
    unlock: vi.fn(async (passphrase: string) => {
      if (passphrase !== backend.passphrase) throw new ApiError('wrong passphrase', 422);
      backend.status = { ...backend.status, state: 'unlocked', retryAfterMs: 0 };
      return profileOf(backend.settings);
    }),
    lock: vi.fn(async () => {
      backend.status = { ...backend.status, state: 'locked' };
    }),
    changePassphrase: vi.fn(async (current: string, next: string) => {
      unlockedOnly();
      if (current !== backend.passphrase) throw new ApiError('wrong passphrase', 422);
      backend.passphrase = next;
    }),
    activity: vi.fn(async () => {}),
    eraseDevice: vi.fn(async () => {
      if (!backend.status.removed) {
        throw new ApiError('Only a device that was removed from its account can be erased here.', 422);
      }
      // As Go does: locked first (vault:locked), then no vault at all.
      const wasUnlocked = backend.status.state === 'unlocked';
      backend.status = { ...backend.status, state: 'new', retryAfterMs: 0, removed: false, removedVerified: false };
      backend.devices = [];
      if (wasUnlocked) queueMicrotask(() => fire('vault:locked', { reason: 'manual' }));
    }),
    linkStart: vi.fn(async (relayUrl: string, passphrase: string) => {
      if (backend.status.state !== 'new') throw new ApiError('account already exists', 409);
      if (!/^wss?:\/\/[^/]+/.test(relayUrl)) throw new ApiError('invalid relay address', 422);
      // As Go does: a second start replaces the first session.
      backend.linking = { relayUrl, passphrase, code: fakeLinkCode(), expiresAt: Date.now() + LINK_CODE_LIFETIME_MS };
      return { code: backend.linking.code, expiresAt: backend.linking.expiresAt };
    }),
    linkCancel: vi.fn(async () => {
      backend.linking = null;
    }),
  };

  const settings = {
    get: vi.fn(async () => {
      unlockedOnly();
      return { ...backend.settings };
    }),
    setTheme: vi.fn(async (theme: Settings['theme']) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, theme };
      return { ...backend.settings };
    }),
    setAutoLock: vi.fn(async (autoLockMinutes: number) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, autoLockMinutes };
      return { ...backend.settings };
    }),
    setDeviceName: vi.fn(async (deviceName: string) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, deviceName };
      return { ...backend.settings };
    }),
    setDisplayName: vi.fn(async (name: string) => {
      unlockedOnly();
      const displayName = name.trim();
      // As Go's rule: one line of 1 to Rules.MaxNameLength characters.
      if (displayName === '' || [...displayName].length > 64 || /[\r\n]/.test(displayName)) {
        throw new ApiError('Invalid input: a name has 1 to 64 characters on one line.', 422);
      }
      backend.settings = { ...backend.settings, displayName };
      // Go tells every window (and the account's other devices) too.
      queueMicrotask(() => fire('settings:changed', { ...backend.settings }));
      return { ...backend.settings };
    }),
    setNotifications: vi.fn(async (notifications: boolean, preview: boolean) => {
      unlockedOnly();
      // As Go does: no preview without notifications.
      backend.settings = { ...backend.settings, notifications, notificationPreview: preview && notifications };
      return { ...backend.settings };
    }),
    setScreenProtection: vi.fn(async (screenProtection: boolean) => {
      unlockedOnly();
      if (backend.settings.screenProtectionSupport !== 'switchable') {
        throw new ApiError('Not allowed: this system does not let Hush switch screen capture protection.', 422);
      }
      backend.settings = { ...backend.settings, screenProtection };
      return { ...backend.settings };
    }),
    setTypingIndicators: vi.fn(async (typingIndicators: boolean) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, typingIndicators };
      return { ...backend.settings };
    }),
    setReadReceipts: vi.fn(async (readReceipts: boolean) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, readReceipts };
      return { ...backend.settings };
    }),
    setLinkPreviews: vi.fn(async (linkPreviews: boolean) => {
      unlockedOnly();
      backend.settings = { ...backend.settings, linkPreviews };
      return { ...backend.settings };
    }),
  };

  const window = {
    setFocused: vi.fn(async (_focused: boolean) => {}),
    openLink: vi.fn(async (_link: string) => {}),
    setSecretOpen: vi.fn(async (open: boolean) => {
      backend.secretOpen = open;
    }),
  };

  const me: Member = { accountId: ME, handle: 'ada', displayName: 'Ada', role: 'owner', isMe: true };
  const asMember = (c: Contact, role: Role = 'member'): Member => ({
    accountId: c.accountId,
    handle: c.handle,
    displayName: c.displayName,
    role,
    isMe: false,
  });
  const chatOf = (chatId: string): ChatSummary => {
    const c = backend.chats.get(chatId);
    if (!c) throw new ApiError('no such chat', 422);
    return c;
  };
  const membersOf = (chatId: string): Member[] => {
    chatOf(chatId);
    return [...(backend.members.get(chatId) ?? [])];
  };
  const contactOf = (accountId: string): Contact => {
    const c = backend.contacts.get(accountId);
    if (!c) throw new ApiError('unknown contact', 422);
    return c;
  };
  const newChat = (kind: ChatSummary['kind'], title: string, ids: readonly string[]): ChatSummary => {
    unlockedOnly();
    // This account made it: it may set a cloud chat's auto-delete, as Go says.
    const chat = sampleChat({ kind, title, memberCount: ids.length + 1, canSetAutoDelete: kind !== 'secret' });
    backend.chats.set(chat.id, chat);
    backend.members.set(chat.id, [me, ...ids.map((id) => asMember(contactOf(id)))]);
    backend.messages.set(chat.id, []);
    return { ...chat };
  };

  const connection = {
    status: vi.fn(async () => ({ ...backend.connection })),
    setRelay: vi.fn(async (url: string) => {
      if (!/^wss?:\/\/[^/]+/.test(url)) throw new ApiError('invalid relay address', 422);
      backend.connection = { ...backend.connection, relayUrl: url, state: 'connecting' };
      return { ...backend.connection };
    }),
    retry: vi.fn(async () => {}),
    usage: vi.fn(async () => ({ ...backend.usage })),
  };

  const contacts = {
    registerHandle: vi.fn(async (handle: string) => {
      if (backend.directory.has(handle)) throw new ApiError(`@${handle} is taken`, 422);
      backend.connection = { ...backend.connection, handle };
      return { ...backend.connection };
    }),
    removeHandle: vi.fn(async () => {
      backend.connection = { ...backend.connection, handle: '' };
      return { ...backend.connection };
    }),
    add: vi.fn(async (handle: string) => {
      const c = backend.directory.get(handle);
      if (!c) throw new ApiError(`No one is called @${handle}.`, 422);
      backend.contacts.set(c.accountId, c);
      return { ...c };
    }),
    list: vi.fn(async () => [...backend.contacts.values()].map((c) => ({ ...c }))),
    safetyNumber: vi.fn(async (accountId: string) => {
      contactOf(accountId);
      return { digits: '123451234512345123451234512345123451234512345123451234512345', emoji: ['🐶', '🔑', '🌵', '🎈'] };
    }),
    markVerified: vi.fn(async (accountId: string, verified: boolean) => {
      const c = { ...contactOf(accountId), verified, keyChanged: verified ? false : contactOf(accountId).keyChanged };
      backend.contacts.set(accountId, c);
      return { ...c };
    }),
    setBlocked: vi.fn(async (accountId: string, blocked: boolean) => {
      unlockedOnly();
      if (blocked && accountId === ME) throw new ApiError('Not allowed: you cannot block yourself.', 422);
      if (blocked && !backend.blocked.has(accountId)) backend.blocked.set(accountId, Date.now());
      if (!blocked) backend.blocked.delete(accountId);
    }),
    blocked: vi.fn(async (): Promise<BlockedAccount[]> => {
      unlockedOnly();
      return [...backend.blocked]
        .map(([accountId, blockedAt]) => ({
          accountId,
          displayName: backend.contacts.get(accountId)?.displayName ?? `Unknown ${accountId.slice(0, 8)}`,
          blockedAt,
        }))
        .sort((a, b) => b.blockedAt - a.blockedAt);
    }),
  };

  /** As Go does after Decline and Delete: the chat is gone, and chat:removed says so. */
  const dropChat = (chatId: string): void => {
    backend.chats.delete(chatId);
    backend.members.delete(chatId);
    backend.messages.delete(chatId);
    queueMicrotask(() => fire('chat:removed', { chatId }));
  };

  /** As Go's account-log changes do: the chat changes, and chat:updated says so. */
  const changeChat = (chatId: string, change: Partial<ChatSummary>): ChatSummary => {
    const c = { ...chatOf(chatId), ...change };
    backend.chats.set(chatId, c);
    queueMicrotask(() => fire('chat:updated', { ...c }));
    return { ...c };
  };

  /** As Go's actions do: the message changes, and message:changed says so. */
  const changeMessage = (chatId: string, messageId: string, change: (m: Message) => Message): Message => {
    chatOf(chatId);
    const all = backend.messages.get(chatId) ?? [];
    const i = all.findIndex((m) => m.id === messageId);
    if (i < 0) throw new ApiError('Not found: the message is not in this chat.', 422);
    const m = change(all[i]!);
    all[i] = m;
    queueMicrotask(() => fire('message:changed', { ...m }));
    return { ...m };
  };

  const chats = {
    list: vi.fn(async () => {
      unlockedOnly();
      return [...backend.chats.values()].map((c) => ({ ...c }));
    }),
    openDirect: vi.fn(async (accountId: string) => {
      const c = contactOf(accountId);
      for (const [id, chat] of backend.chats) {
        if (chat.kind === 'direct' && backend.members.get(id)?.some((m) => m.accountId === accountId)) {
          return { ...chat };
        }
      }
      return newChat('direct', c.displayName, [accountId]);
    }),
    createGroup: vi.fn(async (title: string, ids: readonly string[]) => newChat('group', title, ids)),
    createChannel: vi.fn(async (title: string, ids: readonly string[]) => newChat('channel', title, ids)),
    members: vi.fn(async (chatId: string) => membersOf(chatId)),
    addMembers: vi.fn(async (chatId: string, ids: readonly string[]) => {
      const list = [...membersOf(chatId), ...ids.map((id) => asMember(contactOf(id)))];
      backend.members.set(chatId, list);
      return [...list];
    }),
    removeMember: vi.fn(async (chatId: string, accountId: string) => {
      const list = membersOf(chatId).filter((m) => m.accountId !== accountId);
      backend.members.set(chatId, list);
      return [...list];
    }),
    setRole: vi.fn(async (chatId: string, accountId: string, role: Role) => {
      const list = membersOf(chatId).map((m) => (m.accountId === accountId ? { ...m, role } : m));
      backend.members.set(chatId, list);
      return [...list];
    }),
    leave: vi.fn(async (chatId: string) => {
      chatOf(chatId);
      backend.chats.delete(chatId);
    }),
    messages: vi.fn(async (chatId: string, before: string, limit: number) => {
      chatOf(chatId);
      const all = backend.messages.get(chatId) ?? [];
      const end = before === '' ? all.length : all.findIndex((m) => m.id === before);
      const start = Math.max(0, end - limit);
      const page = all.slice(start, Math.max(0, end)).reverse();
      return { messages: page, nextBefore: start > 0 ? all[start]!.id : '' };
    }),
    send: vi.fn(async (chatId: string, body: string, replyTo: string) => {
      const chat = chatOf(chatId);
      if (!chat.canPost) throw new ApiError('you cannot post here', 422);
      const m: Message = {
        id: fakeId(),
        chatId,
        senderId: ME,
        senderName: 'Ada',
        outgoing: true,
        body,
        sentAt: Date.now(),
        seq: 0,
        status: 'pending',
        replyTo,
        service: false,
        clockOff: false,
        // As Go does: a secret chat's timer goes with each message sent.
        ttl: chat.kind === 'secret' ? chat.secretTimer : 0,
        expiresAt: 0,
        editedAt: 0,
        deleted: false,
        reactions: [],
        pinned: false,
        forwardedFrom: '',
        files: [],
        preview: null,
      };
      backend.messages.get(chatId)?.push(m);
      // As Go does: sending clears the chat's draft.
      if (chat.draft !== '') changeChat(chatId, { draft: '' });
      return { ...m };
    }),
    // As Go does, roughly: whole when it fits, else parts of SplitPartBytes
    // (here cut by code points, not at sentences).
    sendSplit: vi.fn(async (chatId: string, body: string, replyTo: string) => {
      const chars = [...body];
      const size = RULES.maxMessageBytes - 1024;
      const parts: string[] = [];
      for (let i = 0; i < chars.length; i += size) parts.push(chars.slice(i, i + size).join(''));
      const out: Message[] = [];
      for (const [i, p] of parts.entries()) out.push(await chats.send(chatId, p, i === 0 ? replyTo : ''));
      return out;
    }),
    // As Go does: nothing while link previews are off or in a secret chat;
    // the previews the test put in backend.linkPreviews, by URL.
    linkPreview: vi.fn(async (chatId: string, url: string) => {
      const chat = chatOf(chatId);
      const p = backend.linkPreviews.get(url);
      if (!backend.settings.linkPreviews || chat.kind === 'secret' || !p) throw new ApiError('No link preview.', 422);
      return { ...p };
    }),
    sendWithPreview: vi.fn(async (chatId: string, body: string, replyTo: string, preview: LinkPreview) => {
      if (chatOf(chatId).kind === 'secret') throw new ApiError('chat: not allowed', 403);
      const m = await chats.send(chatId, body, replyTo);
      const stored = backend.messages.get(chatId)?.find((x) => x.id === m.id);
      if (stored) stored.preview = { ...preview };
      return { ...m, preview: { ...preview } };
    }),
    markRead: vi.fn(async (chatId: string) => {
      backend.chats.set(chatId, { ...chatOf(chatId), unread: 0 });
    }),
    typing: vi.fn(async () => {}),
    setPinned: vi.fn(async (chatId: string, pinned: boolean) => {
      const c = { ...chatOf(chatId), pinned };
      backend.chats.set(chatId, c);
      return { ...c };
    }),
    setArchived: vi.fn(async (chatId: string, archived: boolean) => changeChat(chatId, { archived })),
    setMuted: vi.fn(async (chatId: string, muted: boolean) => changeChat(chatId, { muted })),
    folders: vi.fn(async () => {
      unlockedOnly();
      return backend.folders.map((f) => ({ ...f, chatIds: [...f.chatIds] }));
    }),
    createFolder: vi.fn(async (name: string) => {
      unlockedOnly();
      const trimmed = name.trim();
      if (trimmed === '') throw new ApiError('Invalid input: a folder needs a name', 422);
      if (backend.folders.length >= RULES.maxFolders) {
        throw new ApiError(`Invalid input: you have ${RULES.maxFolders} folders, the most there can be`, 422);
      }
      const folder: Folder = { id: fakeId(), name: trimmed, chatIds: [] };
      backend.folders = sortFolders([...backend.folders, folder]);
      fire('folders', {});
      return { ...folder };
    }),
    renameFolder: vi.fn(async (folderId: string, name: string) => {
      unlockedOnly();
      const f = folderOf(folderId);
      const renamed = { ...f, name: name.trim() };
      backend.folders = sortFolders(backend.folders.map((x) => (x.id === folderId ? renamed : x)));
      fire('folders', {});
      return { ...renamed };
    }),
    deleteFolder: vi.fn(async (folderId: string) => {
      unlockedOnly();
      folderOf(folderId);
      backend.folders = backend.folders.filter((f) => f.id !== folderId);
      fire('folders', {});
    }),
    setChatFolders: vi.fn(async (chatId: string, folderIds: readonly string[]) => {
      unlockedOnly();
      if (chatOf(chatId).kind === 'secret') throw new ApiError('Invalid input: a secret chat cannot be put in a folder', 422);
      for (const id of folderIds) folderOf(id);
      backend.folders = backend.folders.map((f) => ({
        ...f,
        chatIds: folderIds.includes(f.id) ? [...new Set([...f.chatIds, chatId])] : f.chatIds.filter((c) => c !== chatId),
      }));
      fire('folders', {});
    }),
    setDraft: vi.fn(async (chatId: string, draft: string) => changeChat(chatId, { draft })),
    rename: vi.fn(async (chatId: string, title: string) => {
      const chat = chatOf(chatId);
      if (chat.kind === 'direct') throw new ApiError('Invalid input: a 1:1 chat has no title.', 422);
      if (chat.myRole !== 'owner' && chat.myRole !== 'admin') {
        throw new ApiError('Your role in this chat does not allow that.', 422);
      }
      const c = { ...chat, title };
      backend.chats.set(chatId, c);
      return { ...c };
    }),
    accept: vi.fn(async (chatId: string) => {
      const chat = chatOf(chatId);
      if (chat.hold !== 'request') throw new ApiError('Not found: chat request.', 422);
      const c: ChatSummary = { ...chat, hold: '', holdText: '' };
      backend.chats.set(chatId, c);
      return { ...c };
    }),
    decline: vi.fn(async (chatId: string, block: boolean) => {
      chatOf(chatId);
      if (block) {
        const by = backend.members.get(chatId)?.find((m) => !m.isMe);
        if (by) backend.blocked.set(by.accountId, Date.now());
      }
      dropChat(chatId);
    }),
    delete: vi.fn(async (chatId: string) => {
      const chat = chatOf(chatId);
      if (chat.kind !== 'secret' && chat.hold !== 'removed' && chat.hold !== 'unavailable' && chat.hold !== 'tampered') {
        throw new ApiError('Not allowed: leave the chat to delete it.', 422);
      }
      dropChat(chatId);
    }),
    contactDevices: vi.fn(async (accountId: string) => {
      unlockedOnly();
      contactOf(accountId);
      return (backend.contactDevices.get(accountId) ?? []).map((d) => ({ ...d }));
    }),
    startSecret: vi.fn(async (accountId: string, deviceId: string) => {
      const c = contactOf(accountId);
      const device = backend.contactDevices.get(accountId)?.find((d) => d.id === deviceId);
      if (!device) throw new ApiError('Not found: no such device of this contact.', 422);
      // As Go does: one secret chat per device.
      for (const chat of backend.chats.values()) {
        if (chat.kind === 'secret' && chat.secretDeviceId === deviceId) return { ...chat };
      }
      const chat = newChat('secret', c.displayName, [accountId]);
      return changeChat(chat.id, { peerId: accountId, secretDeviceId: deviceId, secretDeviceName: device.name });
    }),
    setSecretTimer: vi.fn(async (chatId: string, secretTimer: number) => {
      if (chatOf(chatId).kind !== 'secret') throw new ApiError('Not allowed: only a secret chat has a timer.', 422);
      if (!(RULES.secretTimerSeconds as readonly number[]).includes(secretTimer)) throw new ApiError('Invalid input: no such timer.', 422);
      return changeChat(chatId, { secretTimer });
    }),
    setAutoDelete: vi.fn(async (chatId: string, autoDelete: number) => {
      const chat = chatOf(chatId);
      if (chat.kind === 'secret') throw new ApiError('Invalid input: a secret chat has its own self-destruct timer', 422);
      if (!chat.canSetAutoDelete) throw new ApiError(`Not allowed: only the owner and admins set auto-delete in a ${chat.kind}`, 422);
      if (!(RULES.autoDeleteSeconds as readonly number[]).includes(autoDelete)) throw new ApiError('Invalid input: no such time.', 422);
      return changeChat(chatId, { autoDelete });
    }),
    editMessage: vi.fn(async (chatId: string, messageId: string, body: string) =>
      changeMessage(chatId, messageId, (m) => {
        if (!m.outgoing) throw new ApiError('Not allowed: you can only edit your own messages.', 422);
        if (m.deleted) throw new ApiError('Invalid input: the message was deleted.', 422);
        return { ...m, body, editedAt: Date.now() };
      }),
    ),
    react: vi.fn(async (chatId: string, messageId: string, emoji: string, remove: boolean) =>
      changeMessage(chatId, messageId, (m) => {
        const others = m.reactions.filter((r) => r.emoji !== emoji);
        const had = m.reactions.find((r) => r.emoji === emoji);
        const names = (had?.names ?? []).filter((n) => n !== 'you');
        const next = remove ? names : ['you', ...names];
        const reactions = next.length === 0 ? others : [...others, { emoji, count: next.length, mine: !remove, names: next }];
        return { ...m, reactions };
      }),
    ),
    pinMessage: vi.fn(async (chatId: string, messageId: string, pinned: boolean) =>
      changeMessage(chatId, messageId, (m) => ({ ...m, pinned })),
    ),
    retryMessage: vi.fn(async (chatId: string, messageId: string) =>
      changeMessage(chatId, messageId, (m) => {
        if (m.status !== 'failed') throw new ApiError('Invalid input: only a message that failed can be sent again.', 422);
        return { ...m, status: 'pending' };
      }),
    ),
    pinnedMessages: vi.fn(async (chatId: string) => (backend.messages.get(chatId) ?? []).filter((m) => m.pinned).map((m) => ({ ...m }))),
    deleteMessages: vi.fn(async (chatId: string, messageIds: readonly string[], forEveryone: boolean) => {
      for (const id of messageIds) {
        if (forEveryone) {
          changeMessage(chatId, id, (m) => ({ ...m, body: 'Message deleted', deleted: true, reactions: [], pinned: false }));
        } else {
          const all = backend.messages.get(chatId) ?? [];
          backend.messages.set(
            chatId,
            all.filter((m) => m.id !== id),
          );
          queueMicrotask(() => fire('message:hidden', { chatId, messageId: id }));
        }
      }
    }),
    forward: vi.fn(async (fromChatId: string, messageIds: readonly string[], toChatId: string) => {
      chatOf(toChatId);
      const out: Message[] = [];
      for (const id of messageIds) {
        const orig = (backend.messages.get(fromChatId) ?? []).find((m) => m.id === id);
        if (!orig) throw new ApiError('Not found: the message is not in this chat.', 422);
        const sent = await chats.send(toChatId, orig.body, '');
        const m = { ...sent, forwardedFrom: orig.outgoing ? 'Ada' : orig.senderName };
        const list = backend.messages.get(toChatId) ?? [];
        backend.messages.set(
          toChatId,
          list.map((x) => (x.id === m.id ? m : x)),
        );
        out.push(m);
      }
      return out;
    }),
    secretSafetyNumber: vi.fn(async (chatId: string) => {
      if (chatOf(chatId).kind !== 'secret') throw new ApiError('Not allowed: not a secret chat.', 422);
      return { digits: '543215432154321543215432154321543215432154321543215432154321', emoji: ['🦊', '🔒', '🌙', '🍀'] };
    }),
    prepareSearch: vi.fn(async () => {
      unlockedOnly();
    }),
    // Go's search, roughly: every word as a case-insensitive substring, cloud
    // chats only, newest first; the whole body is the snippet.
    search: vi.fn(async (query: string, chatId: string, limit: number): Promise<SearchHit[]> => {
      unlockedOnly();
      const terms = query.toLowerCase().split(/\s+/).filter((t) => t !== '');
      if (terms.length === 0) return [];
      const found: SearchHit[] = [];
      for (const [id, list] of backend.messages) {
        if ((chatId !== '' && id !== chatId) || backend.chats.get(id)?.kind === 'secret') continue;
        for (const m of list) {
          const body = m.body.toLowerCase();
          if (!terms.every((t) => body.includes(t))) continue;
          found.push({ chatId: id, messageId: m.id, sentAt: m.sentAt, snippet: markTerms(m.body, terms), cutBefore: false, cutAfter: false });
        }
      }
      return found.sort((a, b) => b.sentAt - a.sentAt).slice(0, limit || 50);
    }),
  };

  const deviceOf = (id: string): Device => {
    const d = backend.devices.find((x) => x.id === id);
    if (!d) throw new ApiError('Not found: no such device in this account.', 422);
    return d;
  };
  /** Ends the Link waiting for the new device (linkWaits), if one is. */
  let endLinkWait: (() => void) | null = null;
  const devices: FakeApi['devices'] = {
    list: vi.fn(async () => backend.devices.map((d) => ({ ...d }))),
    rename: vi.fn(async (deviceId: string, name: string) => {
      const d = deviceOf(deviceId);
      if (name.trim() === '') throw new ApiError('Invalid input: a device name has 1 to 64 bytes.', 422);
      d.name = name.trim();
    }),
    revoke: vi.fn(async (deviceId: string) => {
      const d = deviceOf(deviceId);
      if (d.this) throw new ApiError('Invalid input: this device cannot remove itself; remove it from another of your devices.', 422);
      backend.devices = backend.devices.filter((x) => x.id !== deviceId);
    }),
    pauseSync: vi.fn(async (paused: boolean) => {
      unlockedOnly();
      backend.syncPaused = paused;
    }),
    syncPaused: vi.fn(async () => {
      unlockedOnly();
      return backend.syncPaused;
    }),
    link: vi.fn(async (code: string) => {
      unlockedOnly();
      if (!code.trim().startsWith('HUSH:')) {
        throw new ApiError('This link code cannot be used: this is not a Hush link code.', 422);
      }
      if (backend.linkWaits) {
        return new Promise<LinkCheck>((_, reject) => {
          endLinkWait = () => reject(new ApiError('Linking was cancelled.', 409));
        });
      }
      backend.linkSessions.add(sampleLinkCheck.sessionId);
      return { ...sampleLinkCheck, emoji: sampleLinkCheck.emoji.map((e) => ({ ...e })) };
    }),
    confirmLink: vi.fn(async (sessionId: string, match: boolean) => {
      if (!backend.linkSessions.delete(sessionId)) throw new ApiError('Not found: no such link session.', 422);
      if (!match) return;
      backend.devices = [
        ...backend.devices,
        { id: fakeId(), name: 'New device', platform: 'linux', linkedAt: Date.now(), this: false, lastSeen: Date.now() },
      ];
    }),
    cancelLink: vi.fn(async (sessionId: string) => {
      if (sessionId === '') {
        endLinkWait?.();
        endLinkWait = null;
        return;
      }
      backend.linkSessions.delete(sessionId);
    }),
  };

  // Backups start and return at once; specs emit backup:progress as Go would.
  const backup: Mocked<BackupService> = {
    chooseExportFile: vi.fn(async () => '/home/ada/hush-2026-01-01.hushbackup'),
    chooseImportFile: vi.fn(async () => '/home/ada/hush-2025-12-01.hushbackup'),
    export: vi.fn(async (_passphrase: string, _destination: string, _options: BackupExportOptions) => unlockedOnly()),
    files: vi.fn(async (): Promise<BackupFiles> => {
      unlockedOnly();
      return { included: 12, includedBytes: 340_000_000, leftToRelay: 3 };
    }),
    import: vi.fn(async (_source: string, _passphrase: string) => unlockedOnly()),
    restore: vi.fn(async (_source: string, _passphrase: string, _vaultPassphrase: string) => {}),
    cancel: vi.fn(async () => {}),
  };
  // Files: staged as Go would stage them (no thumbnails); transfers return
  // their ids at once, and specs emit file:progress as Go would.
  let transfers = 0;
  const stage = (name: string, size: number): StagedFile => {
    const f: StagedFile = { id: fakeId(), name, mime: 'application/octet-stream', size, thumbnail: '', error: '' };
    backend.staged.set(f.id, f);
    return f;
  };
  const stagedOr = (id: string): StagedFile => {
    const f = backend.staged.get(id);
    if (!f) throw new ApiError('That file is not waiting to be sent.', 422);
    return f;
  };
  const files: Mocked<FileService> = {
    chooseFiles: vi.fn(async () => {
      for (const f of backend.chosenFiles) if (f.id !== '') backend.staged.set(f.id, f);
      return backend.chosenFiles.map((f) => ({ ...f }));
    }),
    staged: vi.fn(async (id: string) => ({ ...stagedOr(id) })),
    stageData: vi.fn(async (name: string, data: string) => stage(name, Math.floor((data.length * 3) / 4))),
    discard: vi.fn(async (ids: readonly string[]) => {
      for (const id of ids) backend.staged.delete(id);
    }),
    sendFiles: vi.fn(async (_chatId: string, ids: readonly string[], _caption: string) => {
      for (const id of ids) stagedOr(id);
      return `transfer-${++transfers}`;
    }),
    download: vi.fn(async (_fileId: string) => `transfer-${++transfers}`),
    cancel: vi.fn(async (_transfer: string) => {}),
    files: vi.fn(async (_messageId: string) => []),
    chooseSaveFile: vi.fn(async (_fileId: string) => '/home/ada/Downloads/file'),
    saveAs: vi.fn(async (_fileId: string, _path: string) => {}),
    downloadLink: vi.fn(async (_fileId: string) => '/api/download/link-1'),
    image: vi.fn(async (_fileId: string) => 'data:image/png;base64,iVBORw0KGgo='),
  };

  return {
    mode: 'browser',
    account,
    settings,
    connection,
    contacts,
    chats,
    devices,
    window,
    backup,
    files,
    upload: vi.fn(async (file: Blob, name?: string) => (name === undefined ? 'upload-1' : stage(name, file.size).id)),
    backend,
    on(name, handler) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const h = handler as (p: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    onReconnect(handler) {
      reconnects.add(handler);
      return () => reconnects.delete(handler);
    },
    setTitle: vi.fn((title: string) => {
      document.title = title;
    }),
    openURL: vi.fn((_url: string) => {}),
    close() {
      listeners.clear();
    },
    emit: fire,
    reconnect() {
      for (const h of [...reconnects]) h();
    },
    removeThisDevice(verified = true) {
      const s = backend.status;
      backend.status = { ...s, removed: true, removedVerified: s.removedVerified || verified };
      fire('devices:changed', { thisDeviceRemoved: true, verified });
    },
  };
}
