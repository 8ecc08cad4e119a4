// Chat requests in the whole window against the fake Go side: a chat a
// stranger started (hold "request") is not in the chat list but under
// "Requests (N)"; it opens read-only with Go's banner and Accept, Decline and
// Block; it is never marked read.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatSummary } from '../api';
import { ME, createFakeApi, sampleChat, sampleMessage, type FakeApi } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

const STRANGER = 'e'.repeat(32);
const REQUEST_TEXT = 'Mallory, who is not in your contacts, added you to this group. Accept to join, or decline.';

function addChat(api: FakeApi, chat: ChatSummary, body: string): void {
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, [
    { accountId: STRANGER, handle: 'eve', displayName: 'Eve', role: 'owner', isMe: false },
    { accountId: ME, handle: 'ada', displayName: 'Ada', role: 'member', isMe: true },
  ]);
  api.backend.messages.set(chat.id, [sampleMessage({ chatId: chat.id, senderId: STRANGER, senderName: 'Eve', body })]);
}

function request(over: Partial<ChatSummary> = {}): ChatSummary {
  return sampleChat({
    kind: 'group',
    myRole: 'member',
    lastMessage: 'buy now',
    lastMessageAt: Date.now() - 1_000,
    unread: 4,
    hold: 'request',
    holdText: REQUEST_TEXT,
    ...over,
  });
}

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const friend = sampleChat({ title: 'Bob', lastMessage: 'hi', lastMessageAt: Date.now() - 5_000 });
  addChat(api, friend, 'hi');
  const offer = request({ title: 'Great offer' });
  addChat(api, offer, 'buy now');
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  const env = attentiveEnv();
  renderWithContext(MainWindow, { env }, ctx);
  return { api, friend, offer, user: userEvent.setup() };
}

async function openRequests(user: ReturnType<typeof userEvent.setup>): Promise<HTMLElement> {
  await user.click(await screen.findByRole('button', { name: 'Requests (1)' }));
  return screen.findByRole('listbox', { name: 'Requests' });
}

describe('Requests', () => {
  it('keeps a request out of the chat list and shows the entry with its count', async () => {
    const { api } = setup();
    const chats = await screen.findByRole('listbox', { name: 'Chats' });
    await waitFor(() => expect(within(chats).getAllByRole('option').map((o) => o.getAttribute('aria-label'))).toEqual(['Bob']));
    const entry = screen.getByRole('button', { name: 'Requests (1)' });
    expect(entry).toHaveTextContent('Requests');
    // A second request arrives: the count follows.
    api.emit('chat:updated', request({ title: 'Another' }));
    expect(await screen.findByRole('button', { name: 'Requests (2)' })).toBeInTheDocument();
    expect(within(chats).queryByRole('option', { name: 'Another' })).not.toBeInTheDocument();
  });

  it('says nothing of requests while there are none', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
    await waitFor(() => expect(api.chats.list).toHaveBeenCalled());
    expect(screen.queryByRole('button', { name: /^Requests/ })).not.toBeInTheDocument();
  });

  it('lists the requests without an unread badge, and goes back to the chats', async () => {
    const { user } = setup();
    const list = await openRequests(user);
    const row = within(list).getByRole('option', { name: 'Great offer' });
    expect(within(row).getByText('buy now')).toBeInTheDocument();
    expect(within(row).queryByText('4')).not.toBeInTheDocument();
    expect(row).not.toHaveAccessibleDescription(expect.stringContaining('unread'));
    // Keyboard focus follows: the first request, then back on the entry.
    await waitFor(() => expect(row).toHaveFocus());
    await user.click(screen.getByRole('button', { name: 'Back to chats' }));
    expect(await screen.findByRole('listbox', { name: 'Chats' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Requests (1)' })).toHaveFocus());
  });

  it('opens a request read-only, with Go’s banner and the three choices', async () => {
    const { user } = setup();
    const list = await openRequests(user);
    await user.click(within(list).getByRole('option', { name: 'Great offer' }));
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    expect(within(pane).getByText(REQUEST_TEXT).closest('[role="status"]')).not.toBeNull();
    expect(await within(pane).findByRole('article', { name: 'Eve: buy now' })).toBeInTheDocument();
    expect(within(pane).queryByRole('textbox', { name: 'Message' })).not.toBeInTheDocument();
    expect(within(pane).queryByRole('button', { name: /^Reply to/ })).not.toBeInTheDocument();
    expect(within(pane).queryByRole('button', { name: /chat info$/ })).not.toBeInTheDocument();
    expect(within(pane).queryByRole('button', { name: /Pin chat/ })).not.toBeInTheDocument();
    const choices = within(pane).getByRole('group', { name: 'Chat request' });
    expect(within(choices).getAllByRole('button').map((b) => b.textContent?.trim())).toEqual(['Accept', 'Decline', 'Block']);
  });

  // The protection: reading a request would tell a stranger it was seen. The
  // same chat without the hold, opened the same way, is marked read — so the
  // check below is the one that holds it back, not the setup.
  it.each([
    ['an ordinary chat with unread messages is marked read on open', '' as const, true],
    ['a request with unread messages is never marked read', 'request' as const, false],
  ])('%s', async (_name, hold, marked) => {
    const { api, offer, user } = setup();
    const chat = { ...offer, hold, holdText: hold === '' ? '' : REQUEST_TEXT };
    api.backend.chats.set(chat.id, chat);
    api.emit('chat:updated', chat);
    if (hold === 'request') {
      const list = await openRequests(user);
      await user.click(within(list).getByRole('option', { name: 'Great offer' }));
    } else {
      await user.click(await screen.findByRole('option', { name: 'Great offer' }));
    }
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    await within(pane).findByRole('article', { name: 'Eve: buy now' });
    // More arrives while it is open, and the window regains focus.
    api.emit('chat:updated', { ...chat, unread: 5 });
    window.dispatchEvent(new Event('focus'));
    if (marked) {
      await waitFor(() => expect(api.chats.markRead).toHaveBeenCalledWith(chat.id));
    } else {
      await new Promise((r) => setTimeout(r, 50));
      expect(api.chats.markRead).not.toHaveBeenCalled();
    }
  });

  it('Accept moves the chat to the chat list, opens it there and lets the user write', async () => {
    const { api, offer, user } = setup();
    const list = await openRequests(user);
    await user.click(within(list).getByRole('option', { name: 'Great offer' }));
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    await user.click(within(pane).getByRole('button', { name: 'Accept' }));
    expect(api.chats.accept).toHaveBeenCalledWith(offer.id);
    const chats = await screen.findByRole('listbox', { name: 'Chats' });
    await waitFor(() => expect(within(chats).getByRole('option', { name: 'Great offer' })).toHaveAttribute('aria-selected', 'true'));
    expect(screen.queryByRole('button', { name: /^Requests/ })).not.toBeInTheDocument();
    const opened = await screen.findByRole('region', { name: 'Great offer' });
    expect(within(opened).queryByText(REQUEST_TEXT)).not.toBeInTheDocument();
    expect(await within(opened).findByRole('textbox', { name: 'Message' })).toBeInTheDocument();
    expect(await within(opened).findByRole('article', { name: 'Eve: buy now' })).toBeInTheDocument();
  });

  it.each([
    ['Decline', false],
    ['Block', true],
  ])('%s removes the request (block=%s)', async (button, block) => {
    const { api, offer, friend, user } = setup();
    const list = await openRequests(user);
    await user.click(within(list).getByRole('option', { name: 'Great offer' }));
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    await user.click(within(pane).getByRole('button', { name: button }));
    expect(api.chats.decline).toHaveBeenCalledWith(offer.id, block);
    expect(api.backend.blocked.has(STRANGER)).toBe(block);
    // Gone from everywhere; with no request left, the chat list is back.
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Great offer' })).not.toBeInTheDocument());
    expect(screen.getByText('Select a chat to start messaging')).toBeInTheDocument();
    const chats = await screen.findByRole('listbox', { name: 'Chats' });
    expect(within(chats).getByRole('option', { name: friend.title })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Requests/ })).not.toBeInTheDocument();
    // Go's chat:removed that follows changes nothing more.
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Great offer' })).not.toBeInTheDocument());
  });

  it('shows Go’s refusal as Go words it and keeps the request', async () => {
    const { api, user } = setup();
    api.chats.accept.mockRejectedValueOnce(new Error('You are offline: the relay cannot be reached. Try again when Hush is connected.'));
    const list = await openRequests(user);
    await user.click(within(list).getByRole('option', { name: 'Great offer' }));
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    await user.click(within(pane).getByRole('button', { name: 'Accept' }));
    expect(await within(pane).findByRole('alert')).toHaveTextContent(
      'You are offline: the relay cannot be reached. Try again when Hush is connected.',
    );
    expect(within(pane).getByRole('button', { name: 'Accept' })).toBeEnabled();
    expect(screen.getByRole('listbox', { name: 'Requests' })).toBeInTheDocument();
  });

  it('opens the requests when a notification of one is clicked', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const offer = request({ title: 'Great offer' });
    addChat(api, offer, 'buy now');
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    let click: () => void = () => {};
    const env = { ...attentiveEnv(), notify: (_c: string, _t: string, _b: string, onclick: () => void) => (click = onclick) };
    renderWithContext(MainWindow, { env }, ctx);
    await screen.findByRole('button', { name: 'Requests (1)' });
    api.emit('notify', { chatId: offer.id, title: 'New message request', body: 'Open Hush to accept or decline it.' });
    click();
    expect(await screen.findByRole('listbox', { name: 'Requests' })).toBeInTheDocument();
    const pane = await screen.findByRole('region', { name: 'Great offer' });
    expect(within(pane).getByRole('button', { name: 'Accept' })).toBeInTheDocument();
  });
});
