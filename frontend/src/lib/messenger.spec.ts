import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Message } from './api';
import { SPLIT_FROM_BYTES } from './format';
import { LOCAL_ID_PREFIX, Messenger, windowEnv, type MessengerEnv } from './messenger.svelte';
import { TYPING_EXPIRY_MS } from './stores/typing.svelte';
import { MAX_WARNINGS_PER_CHAT } from './stores/warnings.svelte';
import { createFakeApi, sampleChat, sampleContact, sampleMessage } from './testing/fakeApi';

function setup(env: Partial<MessengerEnv> = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  const chat = sampleChat({ title: 'Bob', lastMessageAt: 5 });
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, []);
  api.backend.messages.set(chat.id, []);
  const notify = vi.fn();
  const attentive = vi.fn(() => true);
  const messenger = new Messenger(api, { attentive, notify, ...env });
  const stop = messenger.start();
  return { api, chat, messenger, stop, notify, attentive };
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

  it('offers Resume after a reload when Go still holds a paused history sync', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    api.backend.syncPaused = true;
    const messenger = new Messenger(api, { attentive: () => true, notify: vi.fn() });
    const stop = messenger.start();
    await vi.waitFor(() => expect(messenger.sync.progress?.paused).toBe(true));
    expect(messenger.sync.visible).toBe(true);
    stop();
  });

  it('shows no history bar when nothing is paused', async () => {
    const { api, messenger, stop } = setup();
    await vi.waitFor(() => expect(api.devices.syncPaused).toHaveBeenCalled());
    expect(messenger.sync.visible).toBe(false);
    stop();
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
    api.emit('message:status', { chatId: chat.id, messageId: sent.id, status: 'delivered', seq: 4, expiresAt: 0 });
    api.emit('message:status', { chatId: chat.id, messageId: sent.id, status: 'sent', seq: 4, expiresAt: 0 }); // late
    expect(conv.messages.map((m) => [m.body, m.status])).toEqual([['hi', 'delivered']]);
    expect(messenger.chats.get(chat.id)?.lastMessage).toBe('hi');
  });

  it('shows a message being sent at once, pending; Go’s message takes its place; a refusal marks it failed', async () => {
    const { api, messenger, chat } = setup();
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    let answer: (m: Message) => void = () => {};
    let refuse: (e: Error) => void = () => {};
    const go = sampleMessage({ chatId: chat.id, outgoing: true, body: 'fast', status: 'pending', seq: 0 });
    api.chats.send.mockImplementationOnce(() => new Promise<Message>((r) => (answer = r)));
    const sending = messenger.send(chat.id, 'fast');
    // Before Go answers: the bubble is there, ours, pending.
    expect(conv.messages.map((m) => [m.body, m.status, m.outgoing])).toEqual([['fast', 'pending', true]]);
    expect(conv.messages[0]!.id.startsWith(LOCAL_ID_PREFIX)).toBe(true);
    // A status Go reports before Send's answer is kept for the real id.
    api.emit('message:status', { chatId: chat.id, messageId: go.id, status: 'sent', seq: 7, expiresAt: 0 });
    await vi.waitFor(() => expect(api.chats.send).toHaveBeenCalledTimes(1));
    answer(go);
    await sending;
    expect(conv.messages.map((m) => [m.id, m.status, m.seq])).toEqual([[go.id, 'sent', 7]]);

    api.chats.send.mockImplementationOnce(() => new Promise<Message>((_, r) => (refuse = r)));
    const refused = messenger.send(chat.id, 'refused');
    expect(conv.messages.at(-1)).toMatchObject({ body: 'refused', status: 'pending' });
    await vi.waitFor(() => expect(api.chats.send).toHaveBeenCalledTimes(2));
    refuse(new Error('no'));
    await expect(refused).rejects.toThrow('no');
    expect(conv.messages.map((m) => [m.body, m.status])).toEqual([
      ['fast', 'sent'],
      ['refused', 'failed'],
    ]);
  });

  it('reads the contacts again when a direct chat takes the name its contact sent (no more "@bob")', async () => {
    const { api, messenger, chat } = setup();
    const bob = sampleContact('bob', { displayName: '@bob' });
    api.backend.contacts.set(bob.accountId, bob);
    await messenger.loadContacts();
    expect(messenger.contacts.get(bob.accountId)?.displayName).toBe('@bob');
    const direct = { ...chat, kind: 'direct' as const, peerId: bob.accountId, title: '@bob' };
    api.emit('chat:updated', direct);
    await Promise.resolve();
    const calls = api.contacts.list.mock.calls.length;
    // Go learnt "Bob" from his message: the contact record and the chat title change.
    api.backend.contacts.set(bob.accountId, { ...bob, displayName: 'Bob' });
    api.emit('chat:updated', { ...direct, title: 'Bob' });
    await vi.waitFor(() => expect(messenger.contacts.get(bob.accountId)?.displayName).toBe('Bob'));
    expect(api.contacts.list.mock.calls.length).toBe(calls + 1);
    // Nothing to learn from a chat whose title matches: no extra reads.
    api.emit('chat:updated', { ...direct, title: 'Bob', unread: 2 });
    await Promise.resolve();
    expect(api.contacts.list.mock.calls.length).toBe(calls + 1);
  });

  it('hands a chat’s sends to Go one after another, in the order typed, both shown at once', async () => {
    const { api, messenger, chat } = setup();
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    const answers: (() => void)[] = [];
    api.chats.send.mockImplementation(
      (chatId: string, body: string) =>
        new Promise<Message>((r) =>
          answers.push(() => r(sampleMessage({ chatId, body, outgoing: true, status: 'pending', seq: 0 }))),
        ),
    );
    const one = messenger.send(chat.id, 'one');
    const two = messenger.send(chat.id, 'two');
    expect(conv.messages.map((m) => [m.body, m.status])).toEqual([
      ['one', 'pending'],
      ['two', 'pending'],
    ]);
    await vi.waitFor(() => expect(api.chats.send).toHaveBeenCalledTimes(1));
    await Promise.resolve();
    expect(api.chats.send).toHaveBeenCalledTimes(1); // "two" waits for "one"
    answers[0]!();
    await one;
    await vi.waitFor(() => expect(api.chats.send).toHaveBeenCalledTimes(2));
    expect(api.chats.send.mock.calls.map((c) => c[1])).toEqual(['one', 'two']);
    answers[1]!();
    await two;
    expect(conv.messages.map((m) => m.body)).toEqual(['one', 'two']);
    expect(conv.messages.every((m) => !m.id.startsWith(LOCAL_ID_PREFIX))).toBe(true);
  });

  it('keeps one bubble when Go announces our message before Send answers', async () => {
    const { api, messenger, chat } = setup();
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    let answer: (m: Message) => void = () => {};
    const go = sampleMessage({ chatId: chat.id, outgoing: true, body: 'once', status: 'pending', seq: 0 });
    api.chats.send.mockImplementationOnce(() => new Promise<Message>((r) => (answer = r)));
    const sending = messenger.send(chat.id, 'once');
    api.emit('message:new', { ...go, status: 'sent', seq: 3 });
    await vi.waitFor(() => expect(api.chats.send).toHaveBeenCalledTimes(1));
    answer(go);
    await sending;
    expect(conv.messages.map((m) => [m.id, m.status])).toEqual([[go.id, 'sent']]);
  });

  it('sends a text too long for one message through sendSplit, and shows every part in order', async () => {
    const { api, messenger, chat } = setup();
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    await messenger.send(chat.id, 'short');
    expect(api.chats.sendSplit).not.toHaveBeenCalled();
    const long = 'a'.repeat(SPLIT_FROM_BYTES) + 'b'.repeat(SPLIT_FROM_BYTES) + 'c';
    const last = await messenger.send(chat.id, long, 'r1');
    expect(api.chats.sendSplit).toHaveBeenCalledWith(chat.id, long, 'r1');
    expect(conv.messages.map((m) => m.body.slice(0, 1) + m.body.length)).toEqual([
      's5',
      `a${SPLIT_FROM_BYTES}`,
      `b${SPLIT_FROM_BYTES}`,
      'c1',
    ]);
    expect(last.body).toBe('c');
    expect(messenger.chats.get(chat.id)?.lastMessage).toBe('c');
  });

  it('starts a secret message’s countdown from message:status and removes it on message:expired', async () => {
    const { api, messenger, chat } = setup();
    const secret = { ...chat, kind: 'secret' as const, secretTimer: 5 };
    api.backend.chats.set(chat.id, secret);
    const gone = sampleMessage({ chatId: chat.id, ttl: 5, body: 'burn after reading' });
    const kept = sampleMessage({ chatId: chat.id, ttl: 5, body: 'still here' });
    api.backend.messages.set(chat.id, [gone, kept]);
    const conv = messenger.conversation(chat.id);
    await conv.loadLatest();
    messenger.setReply(chat.id, gone);
    api.emit('message:status', { chatId: chat.id, messageId: gone.id, status: 'read', seq: 1, expiresAt: 12_345 });
    expect(conv.get(gone.id)?.expiresAt).toBe(12_345);
    // A later report does not move a countdown already started.
    api.emit('message:status', { chatId: chat.id, messageId: gone.id, status: 'read', seq: 1, expiresAt: 99_999 });
    expect(conv.get(gone.id)?.expiresAt).toBe(12_345);

    api.emit('message:expired', { chatId: chat.id, messageId: gone.id });
    expect(conv.messages.map((m) => m.body)).toEqual(['still here']);
    expect(conv.get(gone.id)).toBeUndefined();
    expect(conv.expired(gone.id)).toBe(true);
    expect(messenger.replies.has(chat.id)).toBe(false);
    // An event or page that crossed the removal does not bring it back.
    api.emit('message:new', gone);
    expect(conv.messages.map((m) => m.body)).toEqual(['still here']);
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

  // Whether a message deserves a notification, and its words, are Go's
  // (app TestNotifications, TestNotificationWording): the page shows what the
  // notify event says, nothing of its own.
  it('shows Go’s notify event as it is, and a click opens the chat', async () => {
    const { api, messenger, chat, notify, attentive } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    attentive.mockReturnValue(true); // Go decided: the page does not second-guess it
    api.emit('notify', { chatId: chat.id, title: 'Bob', body: 'Bob' });
    expect(notify).toHaveBeenCalledTimes(1);
    const [chatId, title, body, onclick] = notify.mock.calls[0]!;
    expect([chatId, title, body]).toEqual([chat.id, 'Bob', 'Bob']);
    expect(messenger.selectedId).toBeNull();
    (onclick as () => void)();
    expect(messenger.selectedId).toBe(chat.id);
  });

  it('builds no notification of its own from messages', async () => {
    const { api, messenger, chat, notify, attentive } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    attentive.mockReturnValue(false);
    api.emit('message:new', sampleMessage({ chatId: chat.id, senderName: 'Bob', body: 'the secret plan' }));
    expect(notify).not.toHaveBeenCalled();
  });

  it('leaves notifications to Go where it shows native ones (no notify in env)', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const on = vi.spyOn(api, 'on');
    const messenger = new Messenger(api, { attentive: () => false });
    messenger.start();
    expect(on.mock.calls.map(([name]) => name)).not.toContain('notify');
    expect(() => api.emit('notify', { chatId: 'c'.repeat(32), title: 'Bob', body: 'Bob' })).not.toThrow();
  });

  it('shows notifications only in browser mode, with the browser’s permission', () => {
    const api = createFakeApi({ state: 'unlocked' });
    expect(windowEnv({ ...api, mode: 'wails' }).notify).toBeUndefined();
    const shown: { title: string; body: string | undefined; note: { onclick: (() => void) | null; close(): void } }[] = [];
    class FakeNotification {
      static permission: NotificationPermission = 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, opts?: NotificationOptions) {
        shown.push({ title, body: opts?.body, note: this });
      }
      close = vi.fn();
    }
    const focus = vi.fn();
    const win = Object.assign(Object.create(window) as Window, { Notification: FakeNotification, focus });
    const env = windowEnv(api, win);
    const opened = vi.fn();
    env.notify!('c'.repeat(32), 'Team', 'Carol: lunch?', opened);
    expect(shown.map(({ title, body }) => [title, body])).toEqual([['Team', 'Carol: lunch?']]);
    shown[0]!.note.onclick!();
    expect(focus).toHaveBeenCalled();
    expect(opened).toHaveBeenCalled();
    FakeNotification.permission = 'denied';
    env.notify!('c'.repeat(32), 'Team', 'again', opened);
    expect(shown).toHaveLength(1);
  });

  it('closes a chat’s browser notifications when one of its secret messages self-destructs', () => {
    const api = createFakeApi({ state: 'unlocked' });
    const closed: string[] = [];
    class FakeNotification {
      static permission: NotificationPermission = 'granted';
      onclick: (() => void) | null = null;
      onclose: (() => void) | null = null;
      constructor(readonly title: string) {}
      close(): void {
        closed.push(this.title);
        this.onclose?.();
      }
    }
    const win = Object.assign(Object.create(window) as Window, { Notification: FakeNotification, focus: vi.fn() });
    const env = windowEnv(api, win);
    const secret = 's'.repeat(32);
    env.notify!(secret, 'Secret chat', 'New message', vi.fn());
    env.notify!('o'.repeat(32), 'Other', 'Bob', vi.fn());
    const messenger = new Messenger(api, { ...env, attentive: () => true });
    const stop = messenger.start();
    api.emit('message:expired', { chatId: secret, messageId: 'm'.repeat(32) });
    expect(closed).toEqual(['Secret chat']);
    stop();
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

  it('reads the conversations again when the read receipts switch turns, not before', async () => {
    const { messenger, chat } = setup();
    const first = messenger.conversation(chat.id);
    messenger.followReadReceipts(true);
    expect(messenger.conversation(chat.id)).toBe(first);
    messenger.followReadReceipts(true);
    expect(messenger.conversation(chat.id)).toBe(first);
    messenger.followReadReceipts(false);
    const second = messenger.conversation(chat.id);
    expect(second).not.toBe(first);
    messenger.followReadReceipts(true);
    expect(messenger.conversation(chat.id)).not.toBe(second);
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

  describe('chat requests', () => {
    function withRequest() {
      const env = setup();
      const request = sampleChat({ title: 'Stranger', lastMessageAt: 9, unread: 3, hold: 'request', holdText: 'Accept or decline.' });
      env.api.backend.chats.set(request.id, request);
      env.api.backend.members.set(request.id, []);
      env.api.backend.messages.set(request.id, []);
      return { ...env, request };
    }

    it('keeps requests apart from the chat list', async () => {
      const { messenger, chat, request } = withRequest();
      await messenger.refresh();
      expect(messenger.chats.listed.map((c) => c.id)).toEqual([chat.id]);
      expect(messenger.chats.requests.map((c) => c.id)).toEqual([request.id]);
    });

    it('shows the requests when one is opened, and the chats once none is left', async () => {
      const { api, messenger, request, chat } = withRequest();
      await messenger.refresh();
      messenger.select(request.id);
      expect(messenger.showingRequests).toBe(true);
      // A notification's click opens an ordinary chat: the chat list comes back.
      messenger.select(chat.id);
      expect(messenger.showingRequests).toBe(false);
      messenger.select(request.id);
      // Accepted on another device: Go reports it as an ordinary chat.
      api.emit('chat:updated', { ...request, hold: '', holdText: '' });
      expect(messenger.showingRequests).toBe(false);
      expect(messenger.chats.listed.map((c) => c.id)).toContain(request.id);
    });

    it('accepts: Go’s summary joins the chat list and opens, its messages read afresh', async () => {
      const { api, messenger, request } = withRequest();
      await messenger.refresh();
      messenger.select(request.id);
      const before = messenger.conversation(request.id);
      const accepted = await messenger.accept(request.id);
      expect(accepted.hold).toBe('');
      expect(messenger.selectedId).toBe(request.id);
      expect(messenger.showingRequests).toBe(false);
      expect(messenger.chats.requests).toEqual([]);
      expect(messenger.conversation(request.id)).not.toBe(before);
      // Now an ordinary chat, it is marked read while seen.
      await vi.waitFor(() => expect(api.chats.markRead).toHaveBeenCalledWith(request.id));
    });

    it('declines and deletes, forgetting the chat, its draft and its reply', async () => {
      const { api, messenger, request, chat } = withRequest();
      await messenger.refresh();
      messenger.select(request.id);
      messenger.setDraft(request.id, 'no thanks');
      await messenger.decline(request.id, true);
      expect(api.chats.decline).toHaveBeenCalledWith(request.id, true);
      expect(messenger.chats.get(request.id)).toBeUndefined();
      expect(messenger.selectedId).toBeNull();
      expect(messenger.drafts.has(request.id)).toBe(false);
      expect(messenger.showingRequests).toBe(false);

      api.backend.chats.set(chat.id, { ...chat, hold: 'removed', holdText: 'Removed.' });
      await messenger.deleteChat(chat.id);
      expect(api.chats.delete).toHaveBeenCalledWith(chat.id);
      expect(messenger.chats.chats).toEqual([]);
    });

    it('keeps the chat when Go refuses, and rejects with Go’s words', async () => {
      const { api, messenger, request } = withRequest();
      await messenger.refresh();
      api.chats.decline.mockRejectedValueOnce(new ApiError('The relay is busy. Try again in 5 s.', 422));
      await expect(messenger.decline(request.id, false)).rejects.toThrow('The relay is busy. Try again in 5 s.');
      expect(messenger.chats.get(request.id)).toBeDefined();
    });

    it('renames through Go and shows the new title at once', async () => {
      const { api, messenger } = setup();
      const group = sampleChat({ kind: 'group', title: 'Old', myRole: 'admin' });
      api.backend.chats.set(group.id, group);
      await messenger.refresh();
      await messenger.rename(group.id, 'New');
      expect(api.chats.rename).toHaveBeenCalledWith(group.id, 'New');
      expect(messenger.chats.get(group.id)?.title).toBe('New');
    });
  });
});

describe('Messenger: archive, mute and drafts', () => {
  it('lists archived chats apart, opens an archived chat beside the archive, and leaves it once empty', async () => {
    const { messenger, chat, stop } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    await messenger.setArchived(chat.id, true);
    expect(messenger.chats.unarchived).toEqual([]);
    expect(messenger.chats.archived.map((c) => c.id)).toEqual([chat.id]);
    messenger.select(chat.id);
    expect(messenger.showingArchived).toBe(true);
    await messenger.setArchived(chat.id, false);
    expect(messenger.showingArchived).toBe(false);
    expect(messenger.chats.unarchived.map((c) => c.id)).toEqual([chat.id]);
    stop();
  });

  it('mutes and saves drafts through Go', async () => {
    const { api, messenger, chat, stop } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    await messenger.setMuted(chat.id, true);
    expect(messenger.chats.get(chat.id)?.muted).toBe(true);
    await messenger.saveDraft(chat.id, 'later');
    expect(api.chats.setDraft).toHaveBeenCalledWith(chat.id, 'later');
    expect(messenger.chats.get(chat.id)?.draft).toBe('later');
    stop();
  });

  it('sending clears the draft at once', async () => {
    const { messenger, chat, stop } = setup();
    await vi.waitFor(() => expect(messenger.chats.loaded).toBe(true));
    await messenger.saveDraft(chat.id, 'later');
    messenger.setDraft(chat.id, 'later, typed');
    await messenger.send(chat.id, 'later, typed');
    expect(messenger.chats.get(chat.id)?.draft).toBe('');
    expect(messenger.drafts.has(chat.id)).toBe(false);
    stop();
  });
});
