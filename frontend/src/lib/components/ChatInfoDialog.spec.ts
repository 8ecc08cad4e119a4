// The chat info dialog's rename: owners and admins of a group or channel
// give it a new title; Go's limit is checked as they type and Go's refusals
// show as Go words them. Members, and chats this account is out of, get no
// field. Removing a member asks first.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RULES, type ChatSummary, type Member, type Role } from '../api';
import { Messenger } from '../messenger.svelte';
import { ME, createFakeApi, sampleChat, sampleContact } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import ChatInfoDialog from './ChatInfoDialog.svelte';

function setup(over: Partial<ChatSummary> = {}, others: Member[] = []) {
  const api = createFakeApi({ state: 'unlocked' });
  const chat = sampleChat({ kind: 'group', title: 'Book club', myRole: 'owner', ...over });
  api.backend.chats.set(chat.id, chat);
  const role: Role = chat.myRole === '' ? 'member' : chat.myRole;
  api.backend.members.set(chat.id, [{ accountId: ME, handle: 'ada', displayName: 'Ada', role, isMe: true }, ...others]);
  const messenger = new Messenger(api, attentiveEnv());
  messenger.chats.set([chat]);
  const onclose = vi.fn();
  const result = renderWithContext(ChatInfoDialog, { chat, onclose }, createTestContext({ api }), messenger);
  return { ...result, api, chat, messenger, user: userEvent.setup() };
}

describe('ChatInfoDialog rename', () => {
  it.each([
    ['group', 'owner', 'Group name'],
    ['group', 'admin', 'Group name'],
    ['channel', 'owner', 'Channel name'],
  ] as const)('lets the %s’s %s rename it', async (kind, myRole, label) => {
    const { api, chat, messenger, rerender, user } = setup({ kind, myRole });
    const dialog = screen.getByRole('dialog', { name: 'Book club' });
    const field = within(dialog).getByRole('textbox', { name: label });
    expect(field).toHaveValue('Book club');
    const save = within(dialog).getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled(); // nothing changed yet
    await user.clear(field);
    await user.type(field, '  Readers ');
    await user.click(save);
    expect(api.chats.rename).toHaveBeenCalledWith(chat.id, 'Readers');
    expect(await within(dialog).findByText('Renamed to “Readers”.')).toBeInTheDocument();
    // The chat list has the new title at once (Go's chat:updated follows).
    expect(messenger.chats.get(chat.id)?.title).toBe('Readers');
    await rerender({ chat: messenger.chats.get(chat.id)!, onclose: vi.fn() });
    expect(screen.getByRole('dialog', { name: 'Readers' })).toBeInTheDocument();
  });

  it.each([
    ['a member', { myRole: 'member' as const }],
    ['one removed from it', { myRole: '' as const, hold: 'removed' as const }],
    ['a 1:1 chat', { kind: 'direct' as const }],
  ])('offers no rename to %s', async (_name, over) => {
    setup(over);
    const dialog = screen.getByRole('dialog', { name: 'Book club' });
    expect(within(dialog).queryByRole('textbox', { name: /name$/ })).not.toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Save' })).not.toBeInTheDocument();
  });

  it('checks Go’s limits as typed, before asking Go', async () => {
    const { api, user } = setup();
    const field = screen.getByRole('textbox', { name: 'Group name' });
    await user.clear(field);
    await user.type(field, '   ');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(field).toHaveAccessibleDescription('Enter a name for the group.');
    await user.clear(field);
    await user.type(field, 'é'.repeat(RULES.maxTitleBytes / 2 + 1));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(expect.stringContaining('The name is too long'));
    expect(api.chats.rename).not.toHaveBeenCalled();
  });

  it('shows Go’s refusal as Go words it', async () => {
    const { api, user } = setup({ myRole: 'admin' });
    api.chats.rename.mockRejectedValueOnce(
      new Error("The relay changed this chat's member list in a way no member signed, so nothing more is sent or changed here."),
    );
    const field = screen.getByRole('textbox', { name: 'Group name' });
    await user.clear(field);
    await user.type(field, 'Readers');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      "The relay changed this chat's member list in a way no member signed, so nothing more is sent or changed here.",
    );
    await waitFor(() => expect(screen.getByRole('button', { name: 'Save' })).toBeEnabled());
  });

  it.each([
    ['a member', { myRole: 'member' as const }, true],
    ['one removed from it', { myRole: '' as const, hold: 'removed' as const }, false],
  ])('offers Leave to %s: %s', (_name, over, offered) => {
    setup(over);
    expect(screen.queryAllByRole('button', { name: 'Leave group' })).toHaveLength(offered ? 1 : 0);
  });
});

describe('ChatInfoDialog members', () => {
  it('lists the owner first, then the admins, then everyone by name', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const chat = sampleChat({ kind: 'group', title: 'Book club', myRole: 'member' });
    api.backend.chats.set(chat.id, chat);
    const m = (name: string, role: Role, isMe = false) => ({
      accountId: isMe ? ME : name.toLowerCase().padEnd(32, '0'),
      handle: name.toLowerCase(),
      displayName: name,
      role,
      isMe,
    });
    api.backend.members.set(chat.id, [
      m('Zoe', 'member'),
      m('Carol', 'admin'),
      m('Ada', 'member', true),
      m('Walter', 'owner'),
      m('Bob', 'admin'),
      m('Dan', 'member'),
    ]);
    const messenger = new Messenger(api, attentiveEnv());
    messenger.chats.set([chat]);
    renderWithContext(ChatInfoDialog, { chat, onclose: vi.fn() }, createTestContext({ api }), messenger);
    const list = await screen.findByRole('list', { name: 'Members' });
    const names = within(list)
      .getAllByRole('listitem')
      .map((li) => ['Walter', 'Bob', 'Carol', 'Ada', 'Dan', 'Zoe'].find((n) => within(li).queryByText(n, { exact: true })));
    expect(names).toEqual(['Walter', 'Bob', 'Carol', 'Ada', 'Dan', 'Zoe']);
  });

  it('says every contact is already a member rather than that there are none', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const chat = sampleChat({ kind: 'group', title: 'Book club', myRole: 'owner' });
    api.backend.chats.set(chat.id, chat);
    const bob = sampleContact('bob');
    api.backend.contacts.set(bob.accountId, bob);
    api.backend.members.set(chat.id, [
      { accountId: ME, handle: 'ada', displayName: 'Ada', role: 'owner', isMe: true },
      { accountId: bob.accountId, handle: 'bob', displayName: 'Bob', role: 'member', isMe: false },
    ]);
    const messenger = new Messenger(api, attentiveEnv());
    messenger.chats.set([chat]);
    await messenger.loadContacts();
    renderWithContext(ChatInfoDialog, { chat, onclose: vi.fn() }, createTestContext({ api }), messenger);
    expect(await screen.findByText(/All your contacts are here already/)).toBeInTheDocument();
    expect(screen.queryByText(/No contacts to add yet/)).not.toBeInTheDocument();
  });
});

describe('ChatInfoDialog removal', () => {
  const withCarol = () =>
    setup({}, [{ accountId: 'c'.repeat(32), handle: 'carol', displayName: 'Carol', role: 'member', isMe: false }]);

  it('asks before removing a member, Cancel first, and removes only on yes', async () => {
    const { api, chat, user } = withCarol();
    const dialog = screen.getByRole('dialog', { name: 'Book club' });
    await user.click(await within(dialog).findByRole('button', { name: 'Remove Carol' }));
    expect(api.chats.removeMember).not.toHaveBeenCalled();
    const ask = within(dialog).getByRole('group', { name: 'Remove Carol?' });
    expect(ask).toHaveTextContent('Remove Carol from “Book club”?');
    const cancel = within(ask).getByRole('button', { name: 'Cancel' });
    await waitFor(() => expect(cancel).toHaveFocus()); // Enter does no harm
    await user.keyboard('{Enter}');
    expect(within(dialog).queryByRole('group', { name: 'Remove Carol?' })).not.toBeInTheDocument();
    expect(api.chats.removeMember).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole('button', { name: 'Remove Carol' }));
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(api.chats.removeMember).toHaveBeenCalledWith(chat.id, 'c'.repeat(32));
    expect(await within(dialog).findByText('Removed Carol.')).toBeInTheDocument();
    expect(within(dialog).queryByRole('group', { name: 'Remove Carol?' })).not.toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Remove Carol' })).not.toBeInTheDocument();
  });

  it('keeps the question and shows Go’s refusal as Go words it', async () => {
    const { api, user } = withCarol();
    api.chats.removeMember.mockRejectedValueOnce(new Error('Only owners and admins can remove members.'));
    const dialog = screen.getByRole('dialog', { name: 'Book club' });
    await user.click(await within(dialog).findByRole('button', { name: 'Remove Carol' }));
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Only owners and admins can remove members.');
    expect(within(dialog).getByRole('group', { name: 'Remove Carol?' })).toBeInTheDocument();
  });
});
