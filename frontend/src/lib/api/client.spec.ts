// The typed Api over both transports: every method reaches its Go method
// (service and method name from the generated table) with its arguments in
// order, results and events come back decoded, and a malformed event is
// dropped — except vault:locked, which still locks.

import { describe, expect, it, vi } from 'vitest';
import { sampleChat, sampleContact, sampleMessage, sampleSettings } from '../testing/fakeApi';
import { createApi, detectTransport, type Api } from './client';
import type { Connection, EventMap, EventName } from './contract.gen';
import { createBrowserTransport, type BrowserDeps } from './transport-browser';
import { createWailsTransport, type WailsGlobals } from './transport-wails';

const chatId = 'c'.repeat(32);
const accountId = 'b'.repeat(32);
const connection: Connection = { state: 'offline', relayUrl: 'ws://127.0.0.1:8443', retryInMs: 12_000, error: 'refused', handle: 'ada' };
const contact = sampleContact('bob', { accountId });
const chat = sampleChat({ id: chatId, title: 'Bob' });
const member = { accountId, handle: 'bob', displayName: 'Bob', role: 'member', isMe: false };
const message = sampleMessage({ id: 'd'.repeat(32), chatId });
const page = { messages: [message], nextBefore: 'e'.repeat(32) };
const safety = { digits: '12345 67890', emoji: ['🐶', '🔑'] };

// [label, call, Go path, arguments, Go's answer, the decoded result]
const cases: [string, (api: Api) => Promise<unknown>, string, unknown[], unknown, unknown][] = [
  ['connection.status', (a) => a.connection.status(), 'ConnectionService/Status', [], connection, connection],
  ['connection.setRelay', (a) => a.connection.setRelay('wss://r.example'), 'ConnectionService/SetRelay', ['wss://r.example'], connection, connection],
  ['connection.retry', (a) => a.connection.retry(), 'ConnectionService/Retry', [], null, undefined],
  ['contacts.registerHandle', (a) => a.contacts.registerHandle('ada'), 'ContactService/RegisterHandle', ['ada'], connection, connection],
  ['contacts.add', (a) => a.contacts.add('bob'), 'ContactService/Add', ['bob'], contact, contact],
  ['contacts.list', (a) => a.contacts.list(), 'ContactService/List', [], [contact], [contact]],
  ['contacts.list (nil slice)', (a) => a.contacts.list(), 'ContactService/List', [], null, []],
  ['contacts.safetyNumber', (a) => a.contacts.safetyNumber(accountId), 'ContactService/SafetyNumber', [accountId], safety, safety],
  ['contacts.markVerified', (a) => a.contacts.markVerified(accountId, true), 'ContactService/MarkVerified', [accountId, true], contact, contact],
  ['chats.list', (a) => a.chats.list(), 'ChatService/List', [], [chat], [chat]],
  ['chats.openDirect', (a) => a.chats.openDirect(accountId), 'ChatService/OpenDirect', [accountId], chat, chat],
  ['chats.createGroup', (a) => a.chats.createGroup('G', [accountId]), 'ChatService/CreateGroup', ['G', [accountId]], chat, chat],
  ['chats.createChannel', (a) => a.chats.createChannel('C', []), 'ChatService/CreateChannel', ['C', []], chat, chat],
  ['chats.members', (a) => a.chats.members(chatId), 'ChatService/Members', [chatId], [member], [member]],
  ['chats.addMembers', (a) => a.chats.addMembers(chatId, [accountId]), 'ChatService/AddMembers', [chatId, [accountId]], [member], [member]],
  ['chats.removeMember', (a) => a.chats.removeMember(chatId, accountId), 'ChatService/RemoveMember', [chatId, accountId], [], []],
  ['chats.setRole', (a) => a.chats.setRole(chatId, accountId, 'admin'), 'ChatService/SetRole', [chatId, accountId, 'admin'], [member], [member]],
  ['chats.leave', (a) => a.chats.leave(chatId), 'ChatService/Leave', [chatId], null, undefined],
  ['chats.messages', (a) => a.chats.messages(chatId, '', 50), 'ChatService/Messages', [chatId, '', 50], page, page],
  ['chats.messages (empty)', (a) => a.chats.messages(chatId, 'x', 50), 'ChatService/Messages', [chatId, 'x', 50], { messages: null, nextBefore: '' }, { messages: [], nextBefore: '' }],
  ['chats.send', (a) => a.chats.send(chatId, 'hi', ''), 'ChatService/Send', [chatId, 'hi', ''], message, message],
  ['chats.markRead', (a) => a.chats.markRead(chatId), 'ChatService/MarkRead', [chatId], null, undefined],
  ['chats.typing', (a) => a.chats.typing(chatId), 'ChatService/Typing', [chatId], null, undefined],
  ['chats.setPinned', (a) => a.chats.setPinned(chatId, true), 'ChatService/SetPinned', [chatId, true], chat, chat],
  ['chats.setArchived', (a) => a.chats.setArchived(chatId, true), 'ChatService/SetArchived', [chatId, true], chat, chat],
  ['chats.setMuted', (a) => a.chats.setMuted(chatId, false), 'ChatService/SetMuted', [chatId, false], chat, chat],
  ['chats.setDraft', (a) => a.chats.setDraft(chatId, 'half a thought'), 'ChatService/SetDraft', [chatId, 'half a thought'], chat, chat],
  ['settings.setDisplayName', (a) => a.settings.setDisplayName('Ada L.'), 'SettingsService/SetDisplayName', ['Ada L.'], sampleSettings, sampleSettings],
  ['window.setFocused', (a) => a.window.setFocused(false), 'WindowService/SetFocused', [false], null, undefined],
];

function browserApi(answer: unknown, status = 200) {
  const fetchMock = vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } }),
  );
  const deps: BrowserDeps = {
    fetch: fetchMock as unknown as typeof fetch,
    WebSocket: class {
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      close() {}
    } as unknown as BrowserDeps['WebSocket'],
    location: { protocol: 'http:', host: '127.0.0.1:1' },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    random: () => 0.5,
  };
  return { api: createApi(createBrowserTransport(deps)), fetchMock };
}

describe('messaging calls in browser mode', () => {
  it.each(cases)('%s', async (_label, call, path, args, answer, want) => {
    const { api, fetchMock } = browserApi(answer);
    await expect(call(api)).resolves.toEqual(want);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe(`/api/call/${path}`);
    expect(JSON.parse(init!.body as string)).toEqual(args);
  });
});

describe('messaging calls through Wails', () => {
  it.each(cases)('%s', async (_label, call, path, args, answer, want) => {
    const [service, method] = path.split('/') as [string, string];
    const fn = vi.fn(async () => answer ?? undefined);
    const win: WailsGlobals = { go: { app: { [service]: { [method]: fn } } } };
    const api = createApi(createWailsTransport(win));
    await expect(call(api)).resolves.toEqual(want);
    expect(fn).toHaveBeenCalledWith(...args);
  });
});

/** An Api over Wails whose events the test delivers, by name, as Go would. */
function wailsEvents() {
  const handlers = new Map<string, (d: unknown) => void>();
  const win: WailsGlobals = {
    go: { app: {} },
    runtime: {
      EventsOn: (n, cb) => {
        handlers.set(n, cb);
        return () => {};
      },
    },
  };
  const deliver = (payload: unknown, name: string) => handlers.get(name)?.(payload);
  return { api: createApi(createWailsTransport(win)), deliver };
}

describe('messaging events', () => {
  const events: { [K in EventName]?: EventMap[K] } = {
    'connection:changed': connection,
    'chat:updated': chat,
    'chat:removed': { chatId },
    'message:new': message,
    'message:status': { chatId, messageId: message.id, status: 'delivered', seq: 9, expiresAt: 0 },
    typing: { chatId, accountId, name: 'Bob' },
    warning: { chatId, text: 'A message from Bob failed verification and was dropped.' },
    notify: { chatId, title: 'Bob', body: '' },
  };

  it.each(Object.entries(events))('delivers %s decoded, through Wails', (name, payload) => {
    const { api, deliver } = wailsEvents();
    const got = vi.fn();
    api.on(name as EventName, got);
    deliver(payload, name);
    expect(got).toHaveBeenCalledWith(payload);
  });

  it.each([
    ['message:new', { ...message, status: 'lost' }],
    ['message:status', { chatId, messageId: 'x', status: 'sent' }],
    ['typing', { chatId }],
    ['chat:updated', { id: chatId }],
    ['warning', { text: 'no chat id' }],
  ] as const)('drops a malformed %s event', (name, payload) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { api, deliver } = wailsEvents();
    const got = vi.fn();
    api.on(name, got);
    deliver(payload, name);
    expect(got).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalled();
  });

  it('treats an unknown lock reason as a manual lock: a lock is a lock', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { api, deliver } = wailsEvents();
    const locked = vi.fn();
    api.on('vault:locked', locked);
    deliver({ reason: 'solar flare' }, 'vault:locked');
    expect(locked).toHaveBeenCalledWith({ reason: 'manual' });
    expect(warn).toHaveBeenCalled();
  });
});

describe('detectTransport', () => {
  it('picks Wails when window.go.app exists, browser mode otherwise', () => {
    const wails = Object.assign(Object.create(window) as Window & typeof globalThis, {
      go: { app: {} },
      runtime: { EventsOn: () => () => {} },
    });
    expect(detectTransport(wails).mode).toBe('wails');
    expect(detectTransport(window).mode).toBe('browser');
  });
});
