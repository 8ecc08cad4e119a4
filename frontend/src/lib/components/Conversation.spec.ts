// The messaging window as a whole against the fake Go side: open a chat from
// the list, send, watch ticks and typing, read-only channels, key changes and
// warnings, and the New chat menu.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addChat, createFakeApi, sampleChat, sampleContact, sampleMessage } from '../testing/fakeApi';
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
  api.backend.directory.set('bob', bob);
  const direct = sampleChat({ title: 'Bob', lastMessage: 'hi Ada', lastMessageAt: Date.now() - 1000, unread: 1 });
  addChat(api, direct, [bob]);
  api.backend.messages.set(direct.id, [sampleMessage({ chatId: direct.id, senderId: bob.accountId, body: 'hi Ada' })]);
  const channel = sampleChat({ title: 'News', kind: 'channel', canPost: false, myRole: 'member', memberCount: 40 });
  addChat(api, channel, [bob]);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  const env = attentiveEnv();
  renderWithContext(MainWindow, { env }, ctx);
  return { api, bob, direct, channel, user: userEvent.setup() };
}

async function open(user: ReturnType<typeof userEvent.setup>, title: string) {
  await user.click(await screen.findByRole('option', { name: title }));
  return screen.findByRole('region', { name: title });
}

describe('Conversation', () => {
  it('opens a chat from the list, marks it read and sends with ticks that follow Go', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    expect(within(pane).getByRole('heading', { name: 'Bob' })).toBeInTheDocument();
    expect(await within(pane).findByText('hi Ada')).toBeInTheDocument();
    expect(within(pane).getByText('@bob')).toBeInTheDocument();
    await waitFor(() => expect(api.chats.markRead).toHaveBeenCalledWith(direct.id));
    expect(screen.getByRole('option', { name: 'Bob' })).toHaveAttribute('aria-selected', 'true');

    const box = within(pane).getByRole('textbox', { name: 'Message' });
    await user.type(box, 'hello Bob{Enter}');
    const message = await within(pane).findByRole('article', { name: 'You: hello Bob' });
    expect(within(message).getByRole('img', { name: 'Pending' })).toBeInTheDocument();
    const sent = api.backend.messages.get(direct.id)!.at(-1)!;
    api.emit('message:status', { chatId: direct.id, messageId: sent.id, status: 'sent', seq: 2, expiresAt: 0 });
    await waitFor(() => expect(within(message).getByRole('img', { name: 'Sent' })).toBeInTheDocument());
    api.emit('message:status', { chatId: direct.id, messageId: sent.id, status: 'read', seq: 2, expiresAt: 0 });
    await waitFor(() => expect(within(message).getByRole('img', { name: 'Read' })).toBeInTheDocument());
  });

  it('offers "Back to chats" for the one-column layout: the list again, focus on the chat left', async () => {
    const { user } = setup();
    const pane = await open(user, 'Bob');
    // The button is in the header; CSS shows it only at 600 px and below (e2e/layout.spec.ts).
    await user.click(within(pane).getByRole('button', { name: 'Back to chats' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Bob' })).not.toBeInTheDocument());
    expect(screen.getByText('Select a chat to start messaging')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('option', { name: 'Bob' })).toHaveFocus());
  });

  it('shows who is typing in the header and reports our own typing', async () => {
    const { api, bob, direct, user } = setup();
    const pane = await open(user, 'Bob');
    api.emit('typing', { chatId: direct.id, accountId: bob.accountId, name: 'Bob' });
    // In the header (a screen reader hears it from a live region too).
    const header = within(pane).getByRole('button', { name: 'Bob — chat info' });
    expect(await within(header).findByText('Bob is typing…')).toBeInTheDocument();
    // Bob's message ends it.
    api.emit('message:new', sampleMessage({ chatId: direct.id, senderId: bob.accountId, body: 'done typing' }));
    await waitFor(() => expect(within(header).queryByText('Bob is typing…')).not.toBeInTheDocument());
    expect(await within(pane).findByText('done typing')).toBeInTheDocument();

    await user.type(within(pane).getByRole('textbox', { name: 'Message' }), 'abc');
    expect(api.chats.typing).toHaveBeenCalledTimes(1);
    expect(api.chats.typing).toHaveBeenCalledWith(direct.id);
  });

  it('replaces the composer with the reason in a channel the user cannot post in', async () => {
    const { user } = setup();
    const pane = await open(user, 'News');
    expect(within(pane).getByText('40 subscribers')).toBeInTheDocument();
    expect(within(pane).getByText('Only admins can post in this channel')).toBeInTheDocument();
    expect(within(pane).queryByRole('textbox', { name: 'Message' })).not.toBeInTheDocument();
  });

  it('says loudly that a contact’s key changed until it is verified again', async () => {
    const { api, bob, user } = setup();
    api.backend.contacts.set(bob.accountId, { ...bob, keyChanged: true });
    const pane = await open(user, 'Bob');
    api.reconnect(); // re-read contacts
    const alert = await within(pane).findByRole('alert');
    expect(alert).toHaveTextContent("Bob's security key changed — compare safety numbers");
    await user.click(within(alert).getByRole('button', { name: 'Compare safety numbers' }));
    const dialog = await screen.findByRole('dialog', { name: 'Bob' });
    expect(await within(dialog).findByRole('img', { name: /Safety emoji: 🐶 🔑/ })).toBeInTheDocument();
    expect(within(dialog).getAllByText('12345').length).toBeGreaterThan(0);
    await user.click(within(dialog).getByRole('button', { name: 'Mark as verified' }));
    await waitFor(() => expect(within(dialog).getByText('Verified')).toBeInTheDocument());
    expect(api.contacts.markVerified).toHaveBeenCalledWith(bob.accountId, true);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(within(pane).queryByRole('alert')).not.toBeInTheDocument());
  });

  it('shows a warning from Go in its chat until dismissed', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    api.emit('warning', { chatId: direct.id, text: 'A message from Bob failed verification and was dropped.' });
    const alert = await within(pane).findByRole('alert');
    expect(alert).toHaveTextContent('A message from Bob failed verification and was dropped.');
    await user.click(within(alert).getByRole('button', { name: 'Dismiss warning' }));
    await waitFor(() => expect(within(pane).queryByRole('alert')).not.toBeInTheDocument());
  });

  it('opens New message from the New chat menu by keyboard and starts a chat', async () => {
    const { api, user } = setup();
    api.backend.directory.set('carol', sampleContact('carol', { displayName: 'Carol' }));
    const button = screen.getByRole('button', { name: 'New chat' });
    button.focus();
    await user.keyboard('{Enter}');
    const menu = await screen.findByRole('menu', { name: 'New chat' });
    expect(within(menu).getAllByRole('menuitem').map((i) => i.textContent)).toEqual([
      'New message',
      'New secret chat',
      'New group',
      'New channel',
    ]);
    expect(within(menu).getByRole('menuitem', { name: 'New message' })).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowUp}{Enter}');
    const dialog = await screen.findByRole('dialog', { name: 'New message' });
    await user.type(within(dialog).getByLabelText('Username'), 'carol{Enter}');
    expect(await screen.findByRole('region', { name: 'Carol' })).toBeInTheDocument();
    expect(screen.getByRole('option', { name: 'Carol' })).toHaveAttribute('aria-selected', 'true');
  });

  it('creates a group with a contact and one added by username', async () => {
    const { api, bob, user } = setup();
    const carol = sampleContact('carol', { displayName: 'Carol' });
    api.backend.directory.set('carol', carol);
    await user.click(screen.getByRole('button', { name: 'New chat' }));
    await user.click(await screen.findByRole('menuitem', { name: 'New group' }));
    const dialog = await screen.findByRole('dialog', { name: 'New group' });
    await user.type(within(dialog).getByLabelText('Group name'), 'Trio');
    await user.click(within(dialog).getByRole('checkbox', { name: /Bob/ }));
    await user.type(within(dialog).getByLabelText('Add by username'), '@carol{Enter}');
    await waitFor(() => expect(within(dialog).getByRole('checkbox', { name: /Carol/ })).toBeChecked());
    await user.click(within(dialog).getByRole('button', { name: 'Create group' }));
    expect(await screen.findByRole('region', { name: 'Trio' })).toBeInTheDocument();
    expect(api.chats.createGroup).toHaveBeenCalledWith('Trio', [bob.accountId, carol.accountId]);
  });

  it('lets the owner manage members and anyone leave', async () => {
    const { api, bob, user } = setup();
    const group = sampleChat({ title: 'Team', kind: 'group', myRole: 'owner', memberCount: 2 });
    addChat(api, group, [bob]);
    api.emit('chat:updated', group);
    const pane = await open(user, 'Team');
    await user.click(within(pane).getByRole('button', { name: 'Team — chat info' }));
    const dialog = await screen.findByRole('dialog', { name: 'Team' });
    const role = await within(dialog).findByRole('combobox', { name: 'Role of Bob' });
    await user.selectOptions(role, 'admin');
    await waitFor(() => expect(api.chats.setRole).toHaveBeenCalledWith(group.id, bob.accountId, 'admin'));
    expect(await within(dialog).findByText('Bob is now admin.')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Remove Bob' }));
    // Asked first (ChatInfoDialog.spec.ts has the rest).
    const ask = within(dialog).getByRole('group', { name: 'Remove Bob?' });
    await user.click(within(ask).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(within(dialog).queryByRole('combobox', { name: 'Role of Bob' })).not.toBeInTheDocument());
    await user.click(within(dialog).getByRole('button', { name: 'Leave group' }));
    await user.click(within(dialog).getByRole('button', { name: 'Leave' }));
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Team' })).not.toBeInTheDocument());
    expect(screen.getByText('Select a chat to start messaging')).toBeInTheDocument();
  });

  it('pins a chat from its header', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    await user.click(within(pane).getByRole('button', { name: 'Pin chat' }));
    await waitFor(() => expect(api.chats.setPinned).toHaveBeenCalledWith(direct.id, true));
    expect(within(pane).getByRole('button', { name: 'Unpin chat' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('option', { name: 'Bob' })).toHaveAccessibleDescription(expect.stringContaining('Pinned.'));
  });
});

describe('Conversation after the event stream reconnects', () => {
  it('re-reads the open chat and keeps showing live messages', async () => {
    const { api, bob, direct, user } = setup();
    const pane = await open(user, 'Bob');
    await within(pane).findByText('hi Ada');
    // A message arrives while the stream is down: its event is lost.
    api.backend.messages.get(direct.id)!.push(sampleMessage({ chatId: direct.id, senderId: bob.accountId, body: 'missed one' }));
    api.reconnect();
    expect(await within(pane).findByText('missed one')).toBeInTheDocument();
    api.emit('message:new', sampleMessage({ chatId: direct.id, senderId: bob.accountId, body: 'after the drop' }));
    expect(await within(pane).findByText('after the drop')).toBeInTheDocument();
  });
});

describe('Conversation replies', () => {
  it('replies from the keyboard: focus a message, R, write, Enter', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    const original = await within(pane).findByRole('article', { name: 'Bob: hi Ada' });
    original.focus();
    await user.keyboard('r');
    const box = within(pane).getByRole('textbox', { name: 'Message' });
    await waitFor(() => expect(box).toHaveFocus());
    expect(box).toHaveAccessibleDescription('Reply to Bob hi Ada');
    await user.keyboard('hello back{Enter}');
    const originalId = api.backend.messages.get(direct.id)![0]!.id;
    expect(api.chats.send).toHaveBeenCalledWith(direct.id, 'hello back', originalId);
    // The bar is gone and the new bubble quotes the original.
    expect(within(pane).queryByRole('button', { name: 'Cancel reply' })).not.toBeInTheDocument();
    const answer = await within(pane).findByRole('article', { name: 'You: hello back' });
    expect(within(answer).getByRole('button', { name: /In reply to Bob hi Ada/ })).toBeInTheDocument();
    // The next message is no reply.
    await user.keyboard('and more{Enter}');
    expect(api.chats.send).toHaveBeenLastCalledWith(direct.id, 'and more', '');
  });

  it('replies with the hover button, cancels with Escape, and keeps the reply when Go refuses', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    await within(pane).findByText('hi Ada');
    await user.click(within(pane).getByRole('button', { name: 'Reply to Bob' }));
    expect(within(pane).getByRole('button', { name: 'Cancel reply' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(within(pane).queryByRole('button', { name: 'Cancel reply' })).not.toBeInTheDocument();

    await user.click(within(pane).getByRole('button', { name: 'Reply to Bob' }));
    api.chats.send.mockRejectedValueOnce(new Error('relay refused it'));
    await user.keyboard('try this{Enter}');
    expect(await within(pane).findByRole('alert')).toHaveTextContent('Not sent: relay refused it');
    expect(within(pane).getByRole('button', { name: 'Cancel reply' })).toBeInTheDocument();
    await user.keyboard('{Enter}');
    const originalId = api.backend.messages.get(direct.id)![0]!.id;
    await waitFor(() => expect(api.chats.send).toHaveBeenLastCalledWith(direct.id, 'try this', originalId));
  });

  it('keeps a chat’s reply when another chat is opened in between', async () => {
    const { user } = setup();
    let pane = await open(user, 'Bob');
    await within(pane).findByText('hi Ada');
    await user.click(within(pane).getByRole('button', { name: 'Reply to Bob' }));
    await open(user, 'News');
    pane = await open(user, 'Bob');
    expect(within(pane).getByRole('textbox', { name: 'Message' })).toHaveAccessibleDescription('Reply to Bob hi Ada');
  });

  it('offers no reply in a channel the user cannot post in', async () => {
    const { api, channel, user } = setup();
    api.backend.messages.set(channel.id, [sampleMessage({ chatId: channel.id, body: 'news item' })]);
    const pane = await open(user, 'News');
    await within(pane).findByText('news item');
    expect(within(pane).queryByRole('button', { name: /^Reply to/ })).not.toBeInTheDocument();
  });
});

describe('Archive, mute and drafts', () => {
  it('archives from the header: the chat moves under "Archived chats", and back', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    await user.click(within(pane).getByRole('button', { name: 'Archive chat' }));
    await waitFor(() => expect(api.chats.setArchived).toHaveBeenCalledWith(direct.id, true));
    expect(within(pane).getByRole('button', { name: 'Unarchive chat' })).toBeInTheDocument();
    const chatsList = screen.getByRole('listbox', { name: 'Chats' });
    expect(within(chatsList).queryByRole('option', { name: 'Bob' })).not.toBeInTheDocument();
    // Bob's one unread message was read on opening.
    await user.click(await screen.findByRole('button', { name: 'Archived chats, 1 chat' }));
    const archived = screen.getByRole('listbox', { name: 'Archived chats' });
    expect(within(archived).getByRole('option', { name: 'Bob' })).toBeInTheDocument();

    // Unarchived from its context menu, the archive is empty: back to the chats.
    await user.pointer({ keys: '[MouseRight]', target: within(archived).getByRole('option', { name: 'Bob' }) });
    await user.click(await screen.findByRole('menuitem', { name: 'Unarchive chat' }));
    await waitFor(() => expect(api.chats.setArchived).toHaveBeenCalledWith(direct.id, false));
    expect(await screen.findByRole('listbox', { name: 'Chats' })).toContainElement(screen.getByRole('option', { name: 'Bob' }));
    expect(screen.queryByRole('button', { name: /^Archived chats/ })).not.toBeInTheDocument();
  });

  it('counts the archived chats and their unread messages; Back returns to the chats', async () => {
    const { api, user } = setup();
    const [a, b] = [...api.backend.chats.values()];
    api.backend.chats.set(a!.id, { ...a!, archived: true, unread: 2 });
    api.backend.chats.set(b!.id, { ...b!, archived: true, unread: 1 });
    api.reconnect();
    await user.click(await screen.findByRole('button', { name: 'Archived chats, 2 chats, 3 unread' }));
    expect(screen.getByRole('listbox', { name: 'Archived chats' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByRole('button', { name: 'Archived chats, 2 chats, 3 unread' })).toHaveFocus();
    expect(screen.getByText('All your chats are archived')).toBeInTheDocument();
  });

  it('a chat archived on another device leaves the list (chat:updated)', async () => {
    const { api, direct } = setup();
    await screen.findByRole('option', { name: 'Bob' });
    api.emit('chat:updated', { ...api.backend.chats.get(direct.id)!, archived: true });
    expect(await screen.findByRole('button', { name: /^Archived chats, 1 chat/ })).toBeInTheDocument();
    expect(within(screen.getByRole('listbox', { name: 'Chats' })).queryByRole('option', { name: 'Bob' })).not.toBeInTheDocument();
  });

  it('mutes from the header: the row shows the muted sign', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    await user.click(within(pane).getByRole('button', { name: 'Mute notifications' }));
    await waitFor(() => expect(api.chats.setMuted).toHaveBeenCalledWith(direct.id, true));
    const row = screen.getByRole('option', { name: 'Bob' });
    expect(within(row).getByRole('img', { name: 'Muted' })).toBeInTheDocument();
    await user.click(within(pane).getByRole('button', { name: 'Unmute notifications' }));
    await waitFor(() => expect(api.chats.setMuted).toHaveBeenCalledWith(direct.id, false));
    expect(within(row).queryByRole('img', { name: 'Muted' })).not.toBeInTheDocument();
  });

  it('shows why an action failed', async () => {
    const { api, user } = setup();
    api.chats.setMuted.mockRejectedValueOnce(new Error('The vault is locked.'));
    const pane = await open(user, 'Bob');
    await user.click(within(pane).getByRole('button', { name: 'Mute notifications' }));
    expect(await within(pane).findByRole('alert')).toHaveTextContent('Could not mute notifications: The vault is locked.');
  });

  it('pins from a row’s context menu, and says why a menu action failed', async () => {
    const { api, direct, user } = setup();
    const row = await screen.findByRole('option', { name: 'Bob' });
    await user.pointer({ keys: '[MouseRight]', target: row });
    await user.click(screen.getByRole('menuitem', { name: 'Pin chat' }));
    await waitFor(() => expect(api.chats.setPinned).toHaveBeenCalledWith(direct.id, true));
    await waitFor(() => expect(screen.getByRole('option', { name: 'Bob' })).toHaveAccessibleDescription(expect.stringContaining('Pinned.')));

    api.chats.setArchived.mockRejectedValueOnce(new Error('The vault is locked.'));
    await user.pointer({ keys: '[MouseRight]', target: screen.getByRole('option', { name: 'Bob' }) });
    await user.click(screen.getByRole('menuitem', { name: 'Archive chat' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not archive “Bob”: The vault is locked.');
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('saves the draft while typing and on leaving; the list shows it and the chat opens with it', async () => {
    const { api, direct, user } = setup();
    let pane = await open(user, 'Bob');
    await user.type(within(pane).getByRole('textbox', { name: 'Message' }), 'half a thought');
    await waitFor(() => expect(api.chats.setDraft).toHaveBeenLastCalledWith(direct.id, 'half a thought'), { timeout: 2000 });
    expect(api.chats.setDraft).toHaveBeenCalledTimes(1); // once typing paused
    // The open chat shows its last message, not its own draft.
    const row = screen.getByRole('option', { name: 'Bob' });
    expect(within(row).queryByText('Draft:')).not.toBeInTheDocument();

    await user.type(within(pane).getByRole('textbox', { name: 'Message' }), ', more');
    await user.click(screen.getByRole('option', { name: 'News' })); // leaves at once
    await waitFor(() => expect(api.chats.setDraft).toHaveBeenLastCalledWith(direct.id, 'half a thought, more'));
    expect(within(screen.getByRole('option', { name: 'Bob' })).getByText('Draft:')).toBeInTheDocument();
    expect(screen.getByRole('option', { name: 'Bob' })).toHaveAccessibleDescription(
      expect.stringContaining('Draft: half a thought, more'),
    );

    pane = await open(user, 'Bob');
    expect(within(pane).getByRole('textbox', { name: 'Message' })).toHaveValue('half a thought, more');
  });

  it('takes another device’s draft for the open chat unless the user is typing', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    const box = within(pane).getByRole('textbox', { name: 'Message' });
    api.emit('chat:updated', { ...api.backend.chats.get(direct.id)!, draft: 'from the phone' });
    await waitFor(() => expect(box).toHaveValue('from the phone'));

    await user.type(box, '!');
    api.emit('chat:updated', { ...api.backend.chats.get(direct.id)!, draft: 'again from the phone' });
    await new Promise((r) => setTimeout(r, 50));
    expect(box).toHaveValue('from the phone!');
  });

  it('after sending the composer is empty and the draft does not come back', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    const box = within(pane).getByRole('textbox', { name: 'Message' });
    await user.type(box, 'see you');
    await waitFor(() => expect(api.chats.setDraft).toHaveBeenCalledWith(direct.id, 'see you'), { timeout: 2000 });
    await user.type(box, ' soon{Enter}');
    await waitFor(() => expect(api.chats.send).toHaveBeenCalledWith(direct.id, 'see you soon', ''));
    expect(box).toHaveValue('');
    // A late echo of the earlier save changes nothing.
    api.emit('chat:updated', { ...api.backend.chats.get(direct.id)!, draft: 'see you' });
    await new Promise((r) => setTimeout(r, 700));
    expect(box).toHaveValue('');
    expect(api.chats.setDraft).toHaveBeenCalledTimes(1);
    expect(api.backend.chats.get(direct.id)!.draft).toBe('');
  });
});
