import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { Messenger, type MessengerEnv, type NotificationPrefs } from './messenger.svelte';
import { TYPING_EXPIRY_MS } from './stores/typing.svelte';
import { MAX_WARNINGS_PER_CHAT } from './stores/warnings.svelte';
import { createFakeApi, sampleChat, sampleMessage } from './testing/fakeApi';

function setup(env: Partial<MessengerEnv> = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  const chat = sampleChat({ title: 'Bob', lastMessageAt: 5 });
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, []);
  api.backend.messages.set(chat.id, []);
  const notify = vi.fn();
  const attentive = vi.fn(() => true);
  const prefs = { value: { notifications: true, notificationPreview: false } as NotificationPrefs | null };
  const messenger = new Messenger(api, { attentive, notify, notificationPrefs: () => prefs.value, ...env });
  const stop = messenger.start();
  return { api, chat, messenger, stop, notify, attentive, prefs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Messenger', () => {
  it('reads connection, chats and contacts on start', async () => {
    const { api, messenger, chat } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    expect(messenger.chats.chats.map((c) => c.id)).toEqual([chat.id]);
    expect(messenger.connection.value?.state).toBe('online');
    expect(api.contacts.list).toHaveBeenCalledTimes(1);
  });

  it('keeps the list current from chat:updated and chat:removed, in order', async () => {
    const { api, messenger, chat } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    const newer = sampleChat({ title: 'Carol', lastMessageAt: 10 });
    api.emit('chat:updated', newer);
    expect(messenger.chats.chats.map((c) => c.title)).toEqual(['Carol', 'Bob']);
    api.emit('chat:updated', { ...chat, pinned: true });
    expect(messenger.chats.chats.map((c) => c.title)).toEqual(['Bob', 'Carol']);
    messenger.select(newer.id);
    api.emit('chat:removed', { chatId: newer.id });
    expect(messenger.chats.chats.map((c) => c.title)).toEqual(['Bob']);
    expect(messenger.selectedId).toBeNull();
  });

  it('does not let a List answer that was already travelling undo newer events', async () => {
    const { api, messenger } = setup();
    let answer: (v: Awaited<ReturnType<typeof api.chats.list>>) => void = () => {};
    api.chats.list.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    const loading = messenger.loadChats();
    const fresh = sampleChat({ title: 'Fresh', lastMessageAt: 99 });
    api.emit('chat:updated', fresh);
    answer([]); // the list as it was before Fresh existed
    await loading;
    expect(messenger.chats.chats.map((c) => c.title)).toEqual(['Fresh']);
  });

  it('adds live messages and status changes to an open conversation, once each', async () => {
    const { api, messenger, chat } = setup();
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    const sent = await messenger.send(chat.id, 'hi');
    expect(sent.status).toBe('pending');
    // Go may also announce our own message; it shows once.
    api.emit('message:new', { ...sent, status: 'sent', seq: 4 });
    api.emit('message:status', { chatId: chat.id, messageId: sent.id, status: 'delivered', seq: 4 });
    api.emit('message:status', { chatId: chat.id, messageId: sent.id, status: 'sent', seq: 4 }); // late
    expect(conv.messages.map((m) => [m.body, m.status])).toEqual([['hi', 'delivered']]);
    expect(messenger.chats.get(chat.id)?.lastMessage).toBe('hi');
  });

  it('marks the open chat read only while the user is looking', async () => {
    const { api, messenger, chat, attentive } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    attentive.mockReturnValue(false);
    messenger.select(chat.id);
    api.emit('chat:updated', { ...chat, unread: 2 });
    expect(api.chats.markRead).not.toHaveBeenCalled();
    attentive.mockReturnValue(true);
    messenger.markReadIfSeen(chat.id);
    await vi.waitFor(() => expect(messenger.chats.get(chat.id)?.unread).toBe(0));
    expect(api.chats.markRead).toHaveBeenCalledTimes(1);
  });

  it('notifies an unseen incoming message with the chat and sender only', async () => {
    const { api, messenger, chat, notify, attentive } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    attentive.mockReturnValue(false);
    api.emit('message:new', sampleMessage({ chatId: chat.id, senderName: 'Bob', body: 'the secret plan' }));
    expect(notify).toHaveBeenCalledTimes(1);
    const [title, body, onclick] = notify.mock.calls[0]!;
    expect([title, body]).toEqual(['Bob', 'Bob']);
    expect(JSON.stringify(notify.mock.calls)).not.toContain('secret');
    (onclick as () => void)();
    expect(messenger.selectedId).toBe(chat.id);

    // Not for our own messages, nor while the user is looking.
    api.emit('message:new', sampleMessage({ chatId: chat.id, outgoing: true }));
    attentive.mockReturnValue(true);
    api.emit('message:new', sampleMessage({ chatId: chat.id }));
    expect(notify).toHaveBeenCalledTimes(1);
  });

  it('follows the notification settings: off, sender only, or with the text', async () => {
    const { api, messenger, chat, notify, attentive, prefs } = setup();
    const group = sampleChat({ title: 'Team', kind: 'group' });
    api.emit('chat:updated', group);
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    attentive.mockReturnValue(false);

    prefs.value = { notifications: false, notificationPreview: true };
    api.emit('message:new', sampleMessage({ chatId: chat.id, body: 'not shown' }));
    prefs.value = null; // settings not read yet: nothing rather than a guess
    api.emit('message:new', sampleMessage({ chatId: chat.id, body: 'not shown either' }));
    expect(notify).not.toHaveBeenCalled();

    prefs.value = { notifications: true, notificationPreview: true };
    api.emit('message:new', sampleMessage({ chatId: chat.id, senderName: 'Bob', body: 'see you\n  at noon' }));
    api.emit('message:new', sampleMessage({ chatId: group.id, senderName: 'Carol', body: 'lunch?' }));
    expect(notify.mock.calls.map(([t, b]) => [t, b])).toEqual([
      ['Bob', 'see you at noon'],
      ['Team', 'Carol: lunch?'],
    ]);
  });

  it('leaves notifications to Go where it shows native ones (no notify in env)', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const messenger = new Messenger(api, { attentive: () => false });
    messenger.start();
    expect(() => api.emit('message:new', sampleMessage())).not.toThrow();
  });

  it('forgets typing after 5 s, or when that person’s message arrives', async () => {
    vi.useFakeTimers();
    const { api, messenger, chat } = setup();
    const bob = 'b'.repeat(32);
    api.emit('typing', { chatId: chat.id, accountId: bob, name: 'Bob' });
    api.emit('typing', { chatId: chat.id, accountId: 'e'.repeat(32), name: 'Eve' });
    expect(messenger.typing.names(chat.id)).toEqual(['Bob', 'Eve']);
    api.emit('message:new', sampleMessage({ chatId: chat.id, senderId: bob }));
    expect(messenger.typing.names(chat.id)).toEqual(['Eve']);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1);
    expect(messenger.typing.names(chat.id)).toEqual(['Eve']);
    // A repeat signal extends it.
    api.emit('typing', { chatId: chat.id, accountId: 'e'.repeat(32), name: 'Eve' });
    vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1);
    expect(messenger.typing.names(chat.id)).toEqual(['Eve']);
    vi.advanceTimersByTime(1);
    expect(messenger.typing.names(chat.id)).toEqual([]);
  });

  it('keeps a bounded, de-duplicated list of warnings per chat and re-reads contacts', async () => {
    const { api, messenger, chat } = setup();
    for (let i = 0; i < MAX_WARNINGS_PER_CHAT + 3; i++) {
      api.emit('warning', { chatId: chat.id, text: `warning ${i}` });
      api.emit('warning', { chatId: chat.id, text: `warning ${i}` });
    }
    const list = messenger.warnings.of(chat.id);
    expect(list).toHaveLength(MAX_WARNINGS_PER_CHAT);
    expect(list.at(-1)?.text).toBe(`warning ${MAX_WARNINGS_PER_CHAT + 2}`);
    messenger.warnings.dismiss(chat.id, list[0]!.id);
    expect(messenger.warnings.of(chat.id)).toHaveLength(MAX_WARNINGS_PER_CHAT - 1);
    expect(api.contacts.list.mock.calls.length).toBeGreaterThan(1);
  });

  it('re-reads everything after the event stream reconnects', async () => {
    const { api, messenger, chat } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    const before = messenger.conversation(chat.id);
    api.reconnect();
    expect(messenger.conversation(chat.id)).not.toBe(before);
    await vi.waitFor(() => expect(api.chats.list).toHaveBeenCalledTimes(2));
  });

  it('says messaging is unavailable when this build has no such services', async () => {
    const { api } = setup();
    api.chats.list.mockRejectedValue(new ApiError('unknown method', 404));
    const m = new Messenger(api, { attentive: () => true });
    await m.refresh();
    expect(m.available).toBe(false);
    expect(m.chats.error).toBe('');
  });

  it('shows other failures to read the chat list', async () => {
    const { api } = setup();
    api.chats.list.mockRejectedValue(new ApiError('database is busy', 500));
    const m = new Messenger(api, { attentive: () => true });
    await m.refresh();
    expect(m.available).toBe(true);
    expect(m.chats.error).toBe('database is busy');
  });

  it('stops listening when stopped', async () => {
    const { api, messenger, stop, chat } = setup();
    stop();
    api.emit('chat:updated', { ...chat, title: 'Renamed' });
    expect(messenger.chats.get(chat.id)?.title).not.toBe('Renamed');
  });
});
