// The one typed client for the Go API (docs/API.md). Components never touch
// window.go, fetch or WebSocket directly: they get an Api from context, so the
// desktop window (Wails bindings) and browser mode (HTTP + WebSocket) behave
// the same and tests can hand in a fake at this single boundary.

/** Which screen the vault's lock state calls for. */
export type VaultState = 'new' | 'locked' | 'unlocked';

/** AccountService.Status: what screen to show and how long unlock must wait. */
export interface Status {
  state: VaultState;
  /** How long the unlock screen must wait before the next try (0 = now). */
  retryAfterMs: number;
  minPassphraseLength: number;
}

/** Returned by Create and Unlock: who is signed in on this device. */
export interface Profile {
  displayName: string;
  accountFingerprint: string;
  deviceId: string;
  deviceName: string;
}

export type Theme = 'system' | 'dark' | 'light';
export const THEMES: readonly Theme[] = ['system', 'dark', 'light'];

/** The only auto-lock values the Go side accepts (0 = never). */
export const AUTO_LOCK_MINUTES = [0, 1, 5, 15, 30, 60, 240] as const;
export type AutoLockMinutes = (typeof AUTO_LOCK_MINUTES)[number];

/** Device names the Go side accepts: 1–64 characters. */
export const DEVICE_NAME_MAX_LENGTH = 64;

/** Preferences stored in the vault; readable only while unlocked. */
export interface Settings {
  theme: Theme;
  autoLockMinutes: number;
  /** Notify of messages that arrive while the window is unfocused. */
  notifications: boolean;
  /** Put the message text in those notifications (off: the sender's name only). */
  notificationPreview: boolean;
  deviceName: string;
  displayName: string;
  accountFingerprint: string;
  deviceFingerprint: string;
  dataDir: string;
  portable: boolean;
  version: string;
}

export type LockReason = 'manual' | 'idle';

// ---------------------------------------------------------------------------
// Messaging (cloud chats). Ids are lower-case hex; times are Unix ms.

/** The link to the relay, as ConnectionService reports it. */
export type ConnectionState = 'connecting' | 'online' | 'offline';

/** ConnectionService.Status and the connection:changed event. */
export interface Connection {
  state: ConnectionState;
  /** '' when no relay is set. */
  relayUrl: string;
  /** How long until the next attempt, as of when Go sent this (offline only). */
  retryInMs: number;
  /** Why the last attempt failed (unreachable, refused, clock skew …); '' for none. */
  error: string;
  /** This account's @name once registered; '' before. */
  handle: string;
}

/** A contact whose keys are pinned on first use. */
export interface Contact {
  accountId: string;
  handle: string;
  displayName: string;
  fingerprint: string;
  verified: boolean;
  /** The relay now returns a different key than the pinned one: show it loudly. */
  keyChanged: boolean;
}

/** What two people compare out of band to verify each other's keys. */
export interface SafetyNumber {
  digits: string;
  emoji: string[];
}

export type ChatKind = 'direct' | 'group' | 'channel';
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** One chat as the chat list shows it. */
export interface ChatSummary {
  id: string;
  kind: ChatKind;
  title: string;
  lastMessage: string;
  /** 0 when the chat has no message yet. */
  lastMessageAt: number;
  unread: number;
  pinned: boolean;
  /** This account's role; Go may send any string, the UI only knows owner and admin. */
  myRole: string;
  canPost: boolean;
  memberCount: number;
}

export interface Member {
  accountId: string;
  handle: string;
  displayName: string;
  role: string;
  isMe: boolean;
}

export const MESSAGE_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface Message {
  id: string;
  chatId: string;
  senderId: string;
  senderName: string;
  outgoing: boolean;
  body: string;
  sentAt: number;
  /** The relay's sequence number in the chat log; 0 while pending. */
  seq: number;
  status: MessageStatus;
  /** The id of the message this one answers; '' for none. */
  replyTo: string;
}

/** ChatService.Messages: newest first. */
export interface MessagePage {
  messages: Message[];
  /** Pass as `before` for the next older page; '' when there is none. */
  nextBefore: string;
}

export interface MessageStatusEvent {
  chatId: string;
  messageId: string;
  status: MessageStatus;
  seq: number;
}

export interface TypingEvent {
  chatId: string;
  accountId: string;
  name: string;
}

export interface WarningEvent {
  /** '' when the warning belongs to no chat. */
  chatId: string;
  text: string;
}

export interface NotifyEvent {
  chatId: string;
  title: string;
  /** '' when previews are off. */
  body: string;
}

/** Every event the Go side emits, by name, with its payload. */
export interface EventMap {
  'vault:locked': { reason: LockReason };
  'settings:changed': Settings;
  'connection:changed': Connection;
  'chat:updated': ChatSummary;
  'chat:removed': { chatId: string };
  'message:new': Message;
  'message:status': MessageStatusEvent;
  typing: TypingEvent;
  warning: WarningEvent;
  notify: NotifyEvent;
}
export type EventName = keyof EventMap;

/** AccountService: the account and the vault's lock state. */
export interface AccountService {
  status(): Promise<Status>;
  create(displayName: string, passphrase: string): Promise<Profile>;
  unlock(passphrase: string): Promise<Profile>;
  lock(): Promise<void>;
  changePassphrase(current: string, next: string): Promise<void>;
  activity(): Promise<void>;
}

/** SettingsService: preferences stored in the vault (unlocked only). */
export interface SettingsService {
  get(): Promise<Settings>;
  setTheme(theme: Theme): Promise<Settings>;
  setAutoLock(minutes: AutoLockMinutes): Promise<Settings>;
  setDeviceName(name: string): Promise<Settings>;
  /** Go stores `preview` as false whenever `enabled` is false. */
  setNotifications(enabled: boolean, preview: boolean): Promise<Settings>;
}

/** WindowService: what only the window knows. */
export interface WindowService {
  /**
   * Whether the user is looking at the window (focused and visible); Go
   * raises native notifications only while this is false.
   */
  setFocused(focused: boolean): Promise<void>;
}

/** ConnectionService: the link to the relay. */
export interface ConnectionService {
  status(): Promise<Connection>;
  /** `ws://host:port` or `wss://…`; malformed → ApiError; reconnects. */
  setRelay(url: string): Promise<Connection>;
  /** Reconnects now instead of waiting for the back-off. */
  retry(): Promise<void>;
}

/** ContactService: handles and pinned contact keys. */
export interface ContactService {
  registerHandle(handle: string): Promise<Connection>;
  add(handle: string): Promise<Contact>;
  list(): Promise<Contact[]>;
  safetyNumber(accountId: string): Promise<SafetyNumber>;
  markVerified(accountId: string, verified: boolean): Promise<Contact>;
}

/** ChatService: cloud chats, their members and messages. */
export interface ChatService {
  /** Pinned first, then most recent activity. */
  list(): Promise<ChatSummary[]>;
  openDirect(accountId: string): Promise<ChatSummary>;
  createGroup(title: string, memberIds: readonly string[]): Promise<ChatSummary>;
  createChannel(title: string, subscriberIds: readonly string[]): Promise<ChatSummary>;
  members(chatId: string): Promise<Member[]>;
  addMembers(chatId: string, accountIds: readonly string[]): Promise<Member[]>;
  removeMember(chatId: string, accountId: string): Promise<Member[]>;
  setRole(chatId: string, accountId: string, role: Role): Promise<Member[]>;
  leave(chatId: string): Promise<void>;
  /** Newest first; `before` is '' or a page's nextBefore. */
  messages(chatId: string, before: string, limit: number): Promise<MessagePage>;
  /** The message comes back pending; message:status events move it on. */
  send(chatId: string, body: string, replyTo: string): Promise<Message>;
  markRead(chatId: string): Promise<void>;
  typing(chatId: string): Promise<void>;
  setPinned(chatId: string, pinned: boolean): Promise<ChatSummary>;
}

/** The typed API every component uses. */
export interface Api {
  readonly mode: TransportMode;
  readonly account: AccountService;
  readonly settings: SettingsService;
  readonly connection: ConnectionService;
  readonly contacts: ContactService;
  readonly chats: ChatService;
  readonly window: WindowService;
  /** Subscribes to a Go event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, handler: (payload: EventMap[K]) => void): () => void;
  /**
   * Called when the event stream came back after a drop (browser mode only),
   * because events emitted meanwhile are lost and state must be re-read.
   */
  onReconnect(handler: () => void): () => void;
  /** Stops the event stream; the Api is unusable afterwards. */
  close(): void;
}

/**
 * The error every API call rejects with. The message is the Go error's
 * message, shown to the user as is.
 */
export class ApiError extends Error {
  /** HTTP status in browser mode; undefined for Wails and network failures. */
  readonly status: number | undefined;
  /**
   * The method does not exist in this build of Hush (browser mode 404, or a
   * missing Wails binding): the UI hides the feature instead of failing.
   */
  readonly unavailable: boolean;
  constructor(message: string, status?: number, unavailable = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.unavailable = unavailable || status === 404;
  }
}

/** Whether err says the called method is missing from this build. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof ApiError && err.unavailable;
}

export type ServiceName =
  | 'AccountService'
  | 'SettingsService'
  | 'ConnectionService'
  | 'ContactService'
  | 'ChatService'
  | 'WindowService';
export type TransportMode = 'wails' | 'browser';

/** How calls and events travel; one implementation per runtime. */
export interface Transport {
  readonly mode: TransportMode;
  call(service: ServiceName, method: string, args: readonly unknown[]): Promise<unknown>;
  subscribe(name: string, handler: (data: unknown) => void): () => void;
  onReconnect(handler: () => void): () => void;
  close(): void;
}

// ---------------------------------------------------------------------------
// Response decoding. The Go side is written in parallel to the contract; a
// shape that drifts must fail loudly at this boundary, not deep in a screen.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field<T>(
  obj: Json,
  key: string,
  what: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const v = obj[key];
  if (!check(v)) {
    throw new ApiError(`unexpected ${what} from Hush: "${key}" is not ${expected}`);
  }
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isVaultState = (v: unknown): v is VaultState =>
  v === 'new' || v === 'locked' || v === 'unlocked';
const isTheme = (v: unknown): v is Theme => v === 'system' || v === 'dark' || v === 'light';

/** Decodes AccountService.Status; throws ApiError on a malformed shape. */
export function decodeStatus(v: unknown): Status {
  if (!isObject(v)) throw new ApiError('unexpected status from Hush: not an object');
  const what = 'status';
  return {
    state: field(v, 'state', what, isVaultState, 'new, locked or unlocked'),
    retryAfterMs: Math.max(0, field(v, 'retryAfterMs', what, isNumber, 'a number')),
    minPassphraseLength: field(v, 'minPassphraseLength', what, isNumber, 'a number'),
  };
}

/** Decodes a Profile (Create, Unlock); throws ApiError on a malformed shape. */
export function decodeProfile(v: unknown): Profile {
  if (!isObject(v)) throw new ApiError('unexpected profile from Hush: not an object');
  const what = 'profile';
  return {
    displayName: field(v, 'displayName', what, isString, 'a string'),
    accountFingerprint: field(v, 'accountFingerprint', what, isString, 'a string'),
    deviceId: field(v, 'deviceId', what, isString, 'a string'),
    deviceName: field(v, 'deviceName', what, isString, 'a string'),
  };
}

/** Decodes Settings; throws ApiError on a malformed shape. */
export function decodeSettings(v: unknown): Settings {
  if (!isObject(v)) throw new ApiError('unexpected settings from Hush: not an object');
  const what = 'settings';
  return {
    theme: field(v, 'theme', what, isTheme, 'system, dark or light'),
    autoLockMinutes: field(v, 'autoLockMinutes', what, isNumber, 'a number'),
    notifications: field(v, 'notifications', what, isBoolean, 'true or false'),
    notificationPreview: field(v, 'notificationPreview', what, isBoolean, 'true or false'),
    deviceName: field(v, 'deviceName', what, isString, 'a string'),
    displayName: field(v, 'displayName', what, isString, 'a string'),
    accountFingerprint: field(v, 'accountFingerprint', what, isString, 'a string'),
    deviceFingerprint: field(v, 'deviceFingerprint', what, isString, 'a string'),
    dataDir: field(v, 'dataDir', what, isString, 'a string'),
    portable: field(v, 'portable', what, isBoolean, 'true or false'),
    version: field(v, 'version', what, isString, 'a string'),
  };
}

function decodeLocked(v: unknown): EventMap['vault:locked'] {
  if (!isObject(v)) throw new ApiError('unexpected vault:locked payload: not an object');
  const reason = v['reason'];
  // An unknown reason still means "locked": show the unlock screen without
  // claiming it was inactivity.
  return { reason: reason === 'idle' ? 'idle' : 'manual' };
}

// Messaging shapes. Lists accept null for empty: Go encodes a nil slice so.

const isConnectionState = (v: unknown): v is ConnectionState =>
  v === 'connecting' || v === 'online' || v === 'offline';
const isChatKind = (v: unknown): v is ChatKind => v === 'direct' || v === 'group' || v === 'channel';
const isMessageStatus = (v: unknown): v is MessageStatus =>
  (MESSAGE_STATUSES as readonly unknown[]).includes(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

function objectOf(v: unknown, what: string): Json {
  if (!isObject(v)) throw new ApiError(`unexpected ${what} from Hush: not an object`);
  return v;
}

function listOf<T>(v: unknown, what: string, decode: (item: unknown) => T): T[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new ApiError(`unexpected ${what} from Hush: not a list`);
  return v.map(decode);
}

/** Decodes a Connection; throws ApiError on a malformed shape. */
export function decodeConnection(v: unknown): Connection {
  const what = 'connection';
  const o = objectOf(v, what);
  return {
    state: field(o, 'state', what, isConnectionState, 'connecting, online or offline'),
    relayUrl: field(o, 'relayUrl', what, isString, 'a string'),
    retryInMs: Math.max(0, field(o, 'retryInMs', what, isNumber, 'a number')),
    error: field(o, 'error', what, isString, 'a string'),
    handle: field(o, 'handle', what, isString, 'a string'),
  };
}

/** Decodes a Contact; throws ApiError on a malformed shape. */
export function decodeContact(v: unknown): Contact {
  const what = 'contact';
  const o = objectOf(v, what);
  return {
    accountId: field(o, 'accountId', what, isString, 'a string'),
    handle: field(o, 'handle', what, isString, 'a string'),
    displayName: field(o, 'displayName', what, isString, 'a string'),
    fingerprint: field(o, 'fingerprint', what, isString, 'a string'),
    verified: field(o, 'verified', what, isBoolean, 'true or false'),
    keyChanged: field(o, 'keyChanged', what, isBoolean, 'true or false'),
  };
}

/** Decodes a SafetyNumber; throws ApiError on a malformed shape. */
export function decodeSafetyNumber(v: unknown): SafetyNumber {
  const what = 'safety number';
  const o = objectOf(v, what);
  const emoji = o['emoji'] === null ? [] : field(o, 'emoji', what, isStringArray, 'a list of strings');
  return { digits: field(o, 'digits', what, isString, 'a string'), emoji };
}

/** Decodes a ChatSummary; throws ApiError on a malformed shape. */
export function decodeChatSummary(v: unknown): ChatSummary {
  const what = 'chat';
  const o = objectOf(v, what);
  return {
    id: field(o, 'id', what, isString, 'a string'),
    kind: field(o, 'kind', what, isChatKind, 'direct, group or channel'),
    title: field(o, 'title', what, isString, 'a string'),
    lastMessage: field(o, 'lastMessage', what, isString, 'a string'),
    lastMessageAt: field(o, 'lastMessageAt', what, isNumber, 'a number'),
    unread: Math.max(0, field(o, 'unread', what, isNumber, 'a number')),
    pinned: field(o, 'pinned', what, isBoolean, 'true or false'),
    myRole: field(o, 'myRole', what, isString, 'a string'),
    canPost: field(o, 'canPost', what, isBoolean, 'true or false'),
    memberCount: field(o, 'memberCount', what, isNumber, 'a number'),
  };
}

/** Decodes a Member; throws ApiError on a malformed shape. */
export function decodeMember(v: unknown): Member {
  const what = 'member';
  const o = objectOf(v, what);
  return {
    accountId: field(o, 'accountId', what, isString, 'a string'),
    handle: field(o, 'handle', what, isString, 'a string'),
    displayName: field(o, 'displayName', what, isString, 'a string'),
    role: field(o, 'role', what, isString, 'a string'),
    isMe: field(o, 'isMe', what, isBoolean, 'true or false'),
  };
}

/** Decodes a Message; throws ApiError on a malformed shape. */
export function decodeMessage(v: unknown): Message {
  const what = 'message';
  const o = objectOf(v, what);
  return {
    id: field(o, 'id', what, isString, 'a string'),
    chatId: field(o, 'chatId', what, isString, 'a string'),
    senderId: field(o, 'senderId', what, isString, 'a string'),
    senderName: field(o, 'senderName', what, isString, 'a string'),
    outgoing: field(o, 'outgoing', what, isBoolean, 'true or false'),
    body: field(o, 'body', what, isString, 'a string'),
    sentAt: field(o, 'sentAt', what, isNumber, 'a number'),
    seq: field(o, 'seq', what, isNumber, 'a number'),
    status: field(o, 'status', what, isMessageStatus, 'a message status'),
    replyTo: field(o, 'replyTo', what, isString, 'a string'),
  };
}

/** Decodes a MessagePage; throws ApiError on a malformed shape. */
export function decodeMessagePage(v: unknown): MessagePage {
  const what = 'message page';
  const o = objectOf(v, what);
  return {
    messages: listOf(o['messages'], 'messages', decodeMessage),
    nextBefore: field(o, 'nextBefore', what, isString, 'a string'),
  };
}

const decodeContacts = (v: unknown): Contact[] => listOf(v, 'contacts', decodeContact);
const decodeChats = (v: unknown): ChatSummary[] => listOf(v, 'chats', decodeChatSummary);
const decodeMembers = (v: unknown): Member[] => listOf(v, 'members', decodeMember);

function decodeChatRemoved(v: unknown): EventMap['chat:removed'] {
  const o = objectOf(v, 'chat:removed payload');
  return { chatId: field(o, 'chatId', 'chat:removed payload', isString, 'a string') };
}

function decodeMessageStatus(v: unknown): MessageStatusEvent {
  const what = 'message:status payload';
  const o = objectOf(v, what);
  return {
    chatId: field(o, 'chatId', what, isString, 'a string'),
    messageId: field(o, 'messageId', what, isString, 'a string'),
    status: field(o, 'status', what, isMessageStatus, 'a message status'),
    seq: field(o, 'seq', what, isNumber, 'a number'),
  };
}

function decodeTyping(v: unknown): TypingEvent {
  const what = 'typing payload';
  const o = objectOf(v, what);
  return {
    chatId: field(o, 'chatId', what, isString, 'a string'),
    accountId: field(o, 'accountId', what, isString, 'a string'),
    name: field(o, 'name', what, isString, 'a string'),
  };
}

function decodeWarning(v: unknown): WarningEvent {
  const what = 'warning payload';
  const o = objectOf(v, what);
  return {
    chatId: field(o, 'chatId', what, isString, 'a string'),
    text: field(o, 'text', what, isString, 'a string'),
  };
}

function decodeNotify(v: unknown): NotifyEvent {
  const what = 'notify payload';
  const o = objectOf(v, what);
  return {
    chatId: field(o, 'chatId', what, isString, 'a string'),
    title: field(o, 'title', what, isString, 'a string'),
    body: field(o, 'body', what, isString, 'a string'),
  };
}

const eventDecoders: { [K in EventName]: (v: unknown) => EventMap[K] } = {
  'vault:locked': decodeLocked,
  'settings:changed': decodeSettings,
  'connection:changed': decodeConnection,
  'chat:updated': decodeChatSummary,
  'chat:removed': decodeChatRemoved,
  'message:new': decodeMessage,
  'message:status': decodeMessageStatus,
  typing: decodeTyping,
  warning: decodeWarning,
  notify: decodeNotify,
};

function decodeNothing(): void {
  // Methods that return only an error resolve with null (HTTP) or
  // undefined (Wails); both mean "done".
}

// ---------------------------------------------------------------------------
// The typed layer over a transport.

/** Builds the typed Api over a transport. */
export function createApi(transport: Transport): Api {
  const call = <T>(
    service: ServiceName,
    method: string,
    decode: (v: unknown) => T,
    ...args: unknown[]
  ): Promise<T> => transport.call(service, method, args).then(decode);

  const account: AccountService = {
    status: () => call('AccountService', 'Status', decodeStatus),
    create: (displayName, passphrase) =>
      call('AccountService', 'Create', decodeProfile, displayName, passphrase),
    unlock: (passphrase) => call('AccountService', 'Unlock', decodeProfile, passphrase),
    lock: () => call('AccountService', 'Lock', decodeNothing),
    changePassphrase: (current, next) =>
      call('AccountService', 'ChangePassphrase', decodeNothing, current, next),
    activity: () => call('AccountService', 'Activity', decodeNothing),
  };

  const settings: SettingsService = {
    get: () => call('SettingsService', 'Get', decodeSettings),
    setTheme: (theme) => call('SettingsService', 'SetTheme', decodeSettings, theme),
    setAutoLock: (minutes) => call('SettingsService', 'SetAutoLock', decodeSettings, minutes),
    setDeviceName: (name) => call('SettingsService', 'SetDeviceName', decodeSettings, name),
    setNotifications: (enabled, preview) =>
      call('SettingsService', 'SetNotifications', decodeSettings, enabled, preview),
  };

  const windowService: WindowService = {
    setFocused: (focused) => call('WindowService', 'SetFocused', decodeNothing, focused),
  };

  const connection: ConnectionService = {
    status: () => call('ConnectionService', 'Status', decodeConnection),
    setRelay: (url) => call('ConnectionService', 'SetRelay', decodeConnection, url),
    retry: () => call('ConnectionService', 'Retry', decodeNothing),
  };

  const contacts: ContactService = {
    registerHandle: (handle) => call('ContactService', 'RegisterHandle', decodeConnection, handle),
    add: (handle) => call('ContactService', 'Add', decodeContact, handle),
    list: () => call('ContactService', 'List', decodeContacts),
    safetyNumber: (accountId) => call('ContactService', 'SafetyNumber', decodeSafetyNumber, accountId),
    markVerified: (accountId, verified) =>
      call('ContactService', 'MarkVerified', decodeContact, accountId, verified),
  };

  const chats: ChatService = {
    list: () => call('ChatService', 'List', decodeChats),
    openDirect: (accountId) => call('ChatService', 'OpenDirect', decodeChatSummary, accountId),
    createGroup: (title, memberIds) =>
      call('ChatService', 'CreateGroup', decodeChatSummary, title, [...memberIds]),
    createChannel: (title, subscriberIds) =>
      call('ChatService', 'CreateChannel', decodeChatSummary, title, [...subscriberIds]),
    members: (chatId) => call('ChatService', 'Members', decodeMembers, chatId),
    addMembers: (chatId, accountIds) =>
      call('ChatService', 'AddMembers', decodeMembers, chatId, [...accountIds]),
    removeMember: (chatId, accountId) =>
      call('ChatService', 'RemoveMember', decodeMembers, chatId, accountId),
    setRole: (chatId, accountId, role) =>
      call('ChatService', 'SetRole', decodeMembers, chatId, accountId, role),
    leave: (chatId) => call('ChatService', 'Leave', decodeNothing, chatId),
    messages: (chatId, before, limit) =>
      call('ChatService', 'Messages', decodeMessagePage, chatId, before, limit),
    send: (chatId, body, replyTo) => call('ChatService', 'Send', decodeMessage, chatId, body, replyTo),
    markRead: (chatId) => call('ChatService', 'MarkRead', decodeNothing, chatId),
    typing: (chatId) => call('ChatService', 'Typing', decodeNothing, chatId),
    setPinned: (chatId, pinned) => call('ChatService', 'SetPinned', decodeChatSummary, chatId, pinned),
  };

  return {
    mode: transport.mode,
    account,
    settings,
    connection,
    contacts,
    chats,
    window: windowService,
    on(name, handler) {
      const decode = eventDecoders[name];
      return transport.subscribe(name, (data) => {
        let payload;
        try {
          payload = decode(data);
        } catch (err) {
          console.warn(`hush: dropped malformed ${name} event:`, err);
          return;
        }
        handler(payload);
      });
    },
    onReconnect: (handler) => transport.onReconnect(handler),
    close: () => transport.close(),
  };
}

// ---------------------------------------------------------------------------
// Wails: bound Go methods on window.go.app, events via window.runtime.

type BoundMethod = (...args: unknown[]) => Promise<unknown>;

/** The parts of the Wails-injected globals this client uses. */
export interface WailsGlobals {
  go?: { app?: Record<string, Record<string, BoundMethod | undefined> | undefined> };
  runtime?: {
    EventsOn(name: string, callback: (...data: unknown[]) => void): (() => void) | undefined;
  };
}

/** Calls the Go services that Wails binds into the page. */
export function createWailsTransport(win: WailsGlobals): Transport {
  const app = win.go?.app;
  if (!app) throw new Error('Wails bindings (window.go.app) are missing');
  return {
    mode: 'wails',
    async call(service, method, args) {
      const fn = app[service]?.[method];
      if (typeof fn !== 'function') {
        throw new ApiError(`${service}.${method} is not available in this build of Hush`, undefined, true);
      }
      try {
        return (await fn(...args)) ?? null;
      } catch (err) {
        // Wails rejects with the Go error's message as a plain string.
        throw new ApiError(errorMessage(err));
      }
    },
    subscribe(name, handler) {
      const off = win.runtime?.EventsOn(name, (data) => handler(data));
      return typeof off === 'function' ? off : () => {};
    },
    onReconnect: () => () => {},
    close() {},
  };
}

function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (isObject(err) && typeof err['message'] === 'string') return err['message'];
  return String(err);
}

// ---------------------------------------------------------------------------
// Browser mode: POST /api/call/<Service>/<Method>, events on /api/events.

/** Events larger than this are dropped unread: nothing the Go side sends is near it. */
export const MAX_EVENT_BYTES = 1 << 20;
/** First reconnect delay; doubles per failed attempt. */
export const RECONNECT_BASE_MS = 500;
/** Reconnect delays never exceed this, so a restarted backend is found quickly. */
export const RECONNECT_MAX_MS = 15_000;

/** What browser mode needs from its surroundings; tests pass fakes. */
export interface BrowserDeps {
  fetch: typeof fetch;
  WebSocket: new (url: string) => WebSocket;
  /** The page's location; the API lives on the same origin. */
  location: { protocol: string; host: string };
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
  /** In [0, 1); spreads reconnects so many tabs do not retry in lockstep. */
  random: () => number;
}

/** The delay before reconnect attempt n (0-based): exponential, capped, with jitter. */
export function reconnectDelay(attempt: number, random: () => number): number {
  const exp = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Talks to `hush --web` over HTTP and one WebSocket for events. */
export function createBrowserTransport(deps: BrowserDeps): Transport {
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const reconnectHandlers = new Set<() => void>();
  let socket: WebSocket | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let everOpened = false;
  let closed = false;

  const wsURL = `${deps.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${deps.location.host}/api/events`;

  function connect(): void {
    if (closed) return;
    const ws = new deps.WebSocket(wsURL);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      if (everOpened) {
        for (const h of [...reconnectHandlers]) h();
      }
      everOpened = true;
    };
    ws.onmessage = (ev: MessageEvent) => dispatch(ev.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      scheduleReconnect();
    };
    // An error is always followed by close, which schedules the retry.
    ws.onerror = () => {};
  }

  function scheduleReconnect(): void {
    if (closed || timer !== null) return;
    const delay = reconnectDelay(attempt, deps.random);
    attempt++;
    timer = deps.setTimeout(() => {
      timer = null;
      connect();
    }, delay);
  }

  function dispatch(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > MAX_EVENT_BYTES) return;
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      console.warn('hush: dropped an event that is not JSON');
      return;
    }
    if (!isObject(msg) || typeof msg['name'] !== 'string') return;
    const set = listeners.get(msg['name']);
    if (!set) return;
    for (const h of [...set]) h(msg['data']);
  }

  return {
    mode: 'browser',
    async call(service, method, args) {
      let res: Response;
      try {
        res = await deps.fetch(`/api/call/${service}/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(args),
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ApiError(`Cannot reach Hush: ${errorMessage(err)}`);
      }
      const text = await res.text();
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          if (res.ok) throw new ApiError(`${service}.${method}: the answer is not JSON`, res.status);
        }
      }
      if (!res.ok) {
        const message =
          isObject(body) && typeof body['error'] === 'string' && body['error'] !== ''
            ? body['error']
            : `${service}.${method} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        throw new ApiError(message, res.status);
      }
      return body;
    },
    subscribe(name, handler) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(handler);
      if (!closed && socket === null && timer === null) connect();
      return () => {
        listeners.get(name)?.delete(handler);
      };
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    close() {
      closed = true;
      if (timer !== null) deps.clearTimeout(timer);
      timer = null;
      const ws = socket;
      socket = null;
      ws?.close();
      listeners.clear();
      reconnectHandlers.clear();
    },
  };
}

/**
 * Picks the transport for where the page runs: Wails injects window.go.app
 * before our module runs; anything else is browser mode.
 */
export function detectTransport(win: Window & typeof globalThis & WailsGlobals): Transport {
  if (win.go?.app) return createWailsTransport(win);
  return createBrowserTransport({
    fetch: win.fetch.bind(win),
    WebSocket: win.WebSocket,
    location: win.location,
    setTimeout: (fn, ms) => win.setTimeout(fn, ms),
    clearTimeout: (id) => win.clearTimeout(id as number),
    random: Math.random,
  });
}
