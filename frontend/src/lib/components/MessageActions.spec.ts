// The actions on messages in the messaging window, against the fake Go side:
// the context menu by right click and by keyboard, reactions, edit (also by Up
// in the empty composer), delete for everyone, pin, forward, select several,
// and Retry on a message that failed.

import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ME, addChat, createFakeApi, sampleChat, sampleContact, sampleMessage } from '../testing/fakeApi';
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
  const carol = sampleContact('carol', { displayName: 'Carol' });
  api.backend.contacts.set(bob.accountId, bob);
  api.backend.contacts.set(carol.accountId, carol);
  const direct = sampleChat({ title: 'Bob', lastMessageAt: Date.now() - 1000 });
  addChat(api, direct, [bob]);
  const toCarol = sampleChat({ title: 'Carol', lastMessageAt: Date.now() - 5000 });
  addChat(api, toCarol, [carol]);
  const theirs = sampleMessage({ chatId: direct.id, senderId: bob.accountId, senderName: 'Bob', body: 'lunch at noon?', seq: 1 });
  const mine = sampleMessage({ chatId: direct.id, senderId: ME, senderName: 'Ada', outgoing: true, body: 'yes, see you', seq: 2 });
  const failed = sampleMessage({ chatId: direct.id, senderId: ME, outgoing: true, body: 'bring the book', seq: 0, status: 'failed' });
  api.backend.messages.set(direct.id, [theirs, mine, failed]);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
  return { api, direct, toCarol, theirs, mine, failed, user: userEvent.setup() };
}

async function openBob(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('option', { name: 'Bob' }));
  return screen.findByRole('region', { name: 'Bob' });
}

function article(pane: HTMLElement, name: RegExp) {
  return within(pane).getByRole('article', { name });
}

describe('message actions', () => {
  it('opens the menu by right click and reacts; the reaction is named and toggles', async () => {
    const { api, direct, theirs, user } = setup();
    const pane = await openBob(user);
    await within(pane).findByText('lunch at noon?');
    await fireEvent.contextMenu(article(pane, /^Bob: lunch/));
    const menu = await screen.findByRole('menu', { name: "Actions on Bob's message" });
    await user.click(within(menu).getByRole('menuitem', { name: 'React with 👍' }));
    expect(api.chats.react).toHaveBeenCalledWith(direct.id, theirs.id, '👍', false);
    const reaction = await within(pane).findByRole('button', { name: '👍 1, you reacted' });
    expect(reaction).toHaveAttribute('aria-pressed', 'true');
    await user.click(reaction);
    expect(api.chats.react).toHaveBeenLastCalledWith(direct.id, theirs.id, '👍', true);
    await waitFor(() => expect(within(pane).queryByRole('button', { name: /^👍/ })).toBeNull());
  });

  it('reacts with any emoji through "More reactions…" (the emoji picker), focus back on the message', async () => {
    const { api, direct, theirs, user } = setup();
    const pane = await openBob(user);
    await within(pane).findByText('lunch at noon?');
    const msg = article(pane, /^Bob: lunch/);
    await fireEvent.contextMenu(msg);
    const menu = await screen.findByRole('menu', { name: "Actions on Bob's message" });
    await user.click(within(menu).getByRole('menuitem', { name: 'More reactions…' }));
    const picker = await screen.findByRole('dialog', { name: 'Emoji' });
    expect(within(picker).getByRole('searchbox', { name: 'Search emoji' })).toHaveFocus();
    await user.keyboard('crab');
    await user.click(await within(picker).findByRole('button', { name: 'crab' }, { timeout: 5000 }));
    expect(api.chats.react).toHaveBeenCalledWith(direct.id, theirs.id, '🦀', false);
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).toBeNull();
    expect(await within(pane).findByRole('button', { name: '🦀 1, you reacted' })).toBeInTheDocument();
    expect(msg).toHaveFocus();
  });

  it('opens the menu with Shift+F10 and the ContextMenu key, and edits our message', async () => {
    const { api, direct, mine, user } = setup();
    const pane = await openBob(user);
    const msg = await waitFor(() => article(pane, /^You: yes/));
    msg.focus();
    await user.keyboard('{Shift>}{F10}{/Shift}');
    expect(await screen.findByRole('menu', { name: 'Actions on your message' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(msg).toHaveFocus();
    await fireEvent.keyDown(msg, { key: 'ContextMenu' });
    await user.click(await screen.findByRole('menuitem', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit message' });
    const box = within(dialog).getByRole('textbox', { name: 'Message text' });
    await user.clear(box);
    await user.type(box, 'yes, see you at one{Enter}');
    expect(api.chats.editMessage).toHaveBeenCalledWith(direct.id, mine.id, 'yes, see you at one');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await within(pane).findByText('yes, see you at one')).toBeInTheDocument();
    expect(within(pane).getByText('edited')).toBeInTheDocument();
  });

  it('edits the last message sent with Up in the empty composer', async () => {
    const { user } = setup();
    await openBob(user);
    const box = await screen.findByRole('textbox', { name: /message/i });
    box.focus();
    await user.keyboard('{ArrowUp}');
    const dialog = await screen.findByRole('dialog', { name: 'Edit message' });
    expect(within(dialog).getByRole('textbox', { name: 'Message text' })).toHaveValue('yes, see you');
  });

  it('deletes for everyone, leaving "Message deleted"', async () => {
    const { api, direct, mine, user } = setup();
    const pane = await openBob(user);
    await fireEvent.contextMenu(await waitFor(() => article(pane, /^You: yes/)));
    await user.click(await screen.findByRole('menuitem', { name: 'Delete…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete message' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete for everyone' }));
    expect(api.chats.deleteMessages).toHaveBeenCalledWith(direct.id, [mine.id], true);
    expect(await within(pane).findByText('Message deleted')).toBeInTheDocument();
  });

  it('pins a message and jumps to it from the pinned bar', async () => {
    const { api, direct, theirs, user } = setup();
    const pane = await openBob(user);
    await fireEvent.contextMenu(await waitFor(() => article(pane, /^Bob: lunch/)));
    await user.click(await screen.findByRole('menuitem', { name: 'Pin' }));
    expect(api.chats.pinMessage).toHaveBeenCalledWith(direct.id, theirs.id, true);
    const bar = await within(pane).findByRole('region', { name: 'Pinned messages' });
    await user.click(within(bar).getByRole('button', { name: /Pinned message.*lunch at noon/ }));
    await waitFor(() => expect(article(pane, /^Bob: lunch/)).toHaveFocus());
  });

  it('selects several, forwards them, and Escape leaves selection mode', async () => {
    const { api, direct, toCarol, theirs, mine, user } = setup();
    const pane = await openBob(user);
    await fireEvent.contextMenu(await waitFor(() => article(pane, /^Bob: lunch/)));
    await user.click(await screen.findByRole('menuitem', { name: 'Select' }));
    const bar = await within(pane).findByRole('toolbar', { name: 'Selected messages' });
    expect(within(bar).getByText('1 message selected')).toBeInTheDocument();
    await user.click(within(pane).getAllByRole('checkbox', { name: 'Select your message' })[0]!);
    expect(within(bar).getByText('2 messages selected')).toBeInTheDocument();
    await user.click(within(bar).getByRole('button', { name: 'Forward' }));
    const dialog = await screen.findByRole('dialog', { name: 'Forward 2 messages' });
    await user.click(within(dialog).getByRole('button', { name: 'Forward to Carol' }));
    expect(api.chats.forward).toHaveBeenCalledWith(direct.id, [theirs.id, mine.id], toCarol.id);
    await waitFor(() => expect(within(pane).queryByRole('toolbar', { name: 'Selected messages' })).toBeNull());

    await fireEvent.contextMenu(article(pane, /^Bob: lunch/));
    await user.click(await screen.findByRole('menuitem', { name: 'Select' }));
    await within(pane).findByRole('toolbar', { name: 'Selected messages' });
    await user.keyboard('{Escape}');
    await waitFor(() => expect(within(pane).queryByRole('toolbar', { name: 'Selected messages' })).toBeNull());
  });

  it('offers Retry and Delete on a message that failed to send', async () => {
    const { api, direct, failed, user } = setup();
    const pane = await openBob(user);
    await user.click(await within(pane).findByRole('button', { name: 'Retry' }));
    expect(api.chats.retryMessage).toHaveBeenCalledWith(direct.id, failed.id);
    await user.click(within(pane).getByRole('button', { name: 'Delete unsent message' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete message' });
    expect(within(dialog).queryByRole('button', { name: 'Delete for everyone' })).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(api.chats.deleteMessages).toHaveBeenCalledWith(direct.id, [failed.id], false);
    await waitFor(() => expect(within(pane).queryByText('bring the book')).toBeNull());
  });
});
