// Search from the window, against the fake Go side: the chat list's field
// finds messages of every chat, Ctrl+F searches the open chat, and opening
// a hit jumps to the message, loading the older pages it is in.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeApi, sampleChat, sampleContact, sampleMessage } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const bob = sampleContact('bob', { displayName: 'Bob' });
  api.backend.contacts.set(bob.accountId, bob);
  const start = Date.now() - 200 * 60_000;
  const direct = sampleChat({ title: 'Bob', lastMessage: 'latest', lastMessageAt: Date.now() });
  api.backend.chats.set(direct.id, direct);
  // 200 messages; the one to find is old, far outside the newest page.
  const history = Array.from({ length: 200 }, (_, i) =>
    sampleMessage({
      chatId: direct.id,
      senderId: bob.accountId,
      seq: i + 1,
      sentAt: start + i * 60_000,
      body: i === 7 ? 'Rendezvous at the old mill' : `small talk ${i}`,
    }),
  );
  api.backend.messages.set(direct.id, history);
  const secret = sampleChat({ title: 'Bob', kind: 'secret', secretDeviceName: 'Bob’s laptop' });
  api.backend.chats.set(secret.id, secret);
  api.backend.messages.set(secret.id, [sampleMessage({ chatId: secret.id, body: 'secret rendezvous' })]);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
  return { api, direct, target: history[7]!, user: userEvent.setup() };
}

function focusedMessageId(): string | null {
  return (document.activeElement as HTMLElement | null)?.closest('[data-message-id]')?.getAttribute('data-message-id') ?? null;
}

describe('message search', () => {
  it('finds messages of every chat from the chat list’s field and jumps to one', async () => {
    const { api, direct, target, user } = setup();
    await user.type(screen.getByRole('searchbox', { name: 'Search chats' }), 'rendezvous');
    const found = await screen.findByRole('list', { name: 'Messages found' });
    const hit = await within(found).findByRole('button', { name: /Bob .*Rendezvous at the old mill/ });
    expect(hit.querySelector('mark')).toHaveTextContent('Rendezvous');
    expect(within(found).getAllByRole('button')).toHaveLength(1); // the secret chat's is not there
    expect(screen.getByText('1 message found')).toHaveAttribute('role', 'status');
    expect(api.chats.search).toHaveBeenLastCalledWith('rendezvous', '', 50);

    await user.click(hit);
    const pane = await screen.findByRole('region', { name: 'Bob' });
    await waitFor(() => expect(focusedMessageId()).toBe(target.id), { timeout: 4000 });
    expect(within(pane).getByRole('article', { name: 'Bob: Rendezvous at the old mill' })).toHaveFocus();
    // Older pages were read to reach it.
    expect(api.chats.messages.mock.calls.filter(([id]) => id === direct.id).length).toBeGreaterThan(1);
  }, 20_000);

  it('goes from the field to the hits with the Down arrow when no chat name matches', async () => {
    const { user } = setup();
    const field = screen.getByRole('searchbox', { name: 'Search chats' });
    await user.type(field, 'old mill');
    const found = await screen.findByRole('list', { name: 'Messages found' });
    await within(found).findByRole('button');
    await user.keyboard('{ArrowDown}');
    expect(within(found).getByRole('button')).toHaveFocus();
    await user.click(field);
    await user.keyboard('{Escape}');
    expect(field).toHaveValue('');
    expect(screen.queryByRole('list', { name: 'Messages found' })).not.toBeInTheDocument();
  });

  it('searches the open chat with Ctrl+F, opens the newest hit with Enter, closes with Escape', async () => {
    const { api, direct, target, user } = setup();
    await user.click(await screen.findByRole('option', { name: 'Bob' }));
    const pane = await screen.findByRole('region', { name: 'Bob' });
    await within(pane).findByText('small talk 199');
    await user.keyboard('{Control>}f{/Control}');
    const field = await within(pane).findByRole('searchbox', { name: 'Search messages in this chat' });
    await waitFor(() => expect(field).toHaveFocus());
    expect(api.chats.prepareSearch).toHaveBeenCalled(); // the index is wanted as the field opens
    await user.type(field, 'MILL');
    const found = await within(pane).findByRole('list', { name: 'Messages found in this chat' });
    expect(within(found).getByRole('button')).not.toHaveTextContent('Bob'); // one chat: no chat names
    await waitFor(() => expect(within(pane).getByText('1 message found')).toHaveAttribute('role', 'status'));
    expect(api.chats.search).toHaveBeenLastCalledWith('MILL', direct.id, 50);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(focusedMessageId()).toBe(target.id), { timeout: 4000 });

    await user.click(field);
    await user.keyboard('{Escape}');
    expect(within(pane).queryByRole('searchbox', { name: 'Search messages in this chat' })).not.toBeInTheDocument();
    expect(within(pane).getByRole('button', { name: 'Search in this chat' })).toHaveFocus();
  }, 20_000);

  it('says a secret chat cannot be searched', async () => {
    const { user } = setup();
    await user.click(await screen.findByRole('option', { name: 'Secret chat with Bob (Bob’s laptop)' }));
    await user.keyboard('{Control>}f{/Control}');
    expect(await screen.findByText('Secret chats are never indexed, so their messages cannot be searched.')).toBeInTheDocument();
    expect(screen.queryByRole('searchbox', { name: 'Search messages in this chat' })).not.toBeInTheDocument();
  });

  it('focuses the chat list’s field on Ctrl+F when no chat is open', async () => {
    const { user } = setup();
    const field = screen.getByRole('searchbox', { name: 'Search chats' });
    field.blur();
    await user.keyboard('{Control>}f{/Control}');
    expect(field).toHaveFocus();
  });
});
