// A cloud chat's auto-delete time: chosen from the chat's menu (radio items,
// the current one checked) or, in a group, from its info; shown in the header
// while on; refused by Go for a member who may not set it, in Go's words.

import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatSummary } from '../api';
import { Messenger } from '../messenger.svelte';
import { ME, addChat, createFakeApi, sampleChat, sampleContact } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import AutoDeleteMark from './AutoDeleteMark.svelte';
import ChatInfoDialog from './ChatInfoDialog.svelte';
import ChatMenu from './ChatMenu.svelte';
import MainWindow from './MainWindow.svelte';

describe('ChatMenu auto-delete', () => {
  function menu(over: Partial<ChatSummary>) {
    const onchoose = vi.fn();
    render(ChatMenu, { props: { chat: sampleChat({ title: 'Bob', ...over }), x: 0, y: 0, onchoose, onclose: vi.fn() } });
    return { onchoose, user: userEvent.setup() };
  }

  it('offers the times Go allows as radio items, the current one checked', async () => {
    const { onchoose, user } = menu({ canSetAutoDelete: true, autoDelete: 604800 });
    const group = screen.getByRole('group', { name: 'Auto-delete messages' });
    const items = within(group).getAllByRole('menuitemradio');
    expect(items.map((i) => i.textContent?.replace('✓', '').trim())).toEqual(['Off', '1 day', '1 week', '1 month']);
    expect(items.map((i) => i.getAttribute('aria-checked'))).toEqual(['false', 'false', 'true', 'false']);
    // The arrows reach them after the chat's other actions, and Enter chooses.
    await user.keyboard('{End}');
    expect(within(group).getByRole('menuitemradio', { name: '1 month' })).toHaveFocus();
    await user.keyboard('{ArrowUp}{ArrowUp}{Enter}');
    expect(onchoose).toHaveBeenCalledWith({ autoDelete: 86400 });
  });

  it.each([
    ['a member of a group', { kind: 'group' as const, myRole: 'member' as const, canSetAutoDelete: false }],
    ['a secret chat', { kind: 'secret' as const, canSetAutoDelete: true }],
  ])('offers nothing to %s', (_name, over) => {
    menu(over);
    expect(screen.queryByRole('group', { name: 'Auto-delete messages' })).not.toBeInTheDocument();
    expect(screen.queryAllByRole('menuitemradio')).toHaveLength(0);
  });
});

describe('AutoDeleteMark', () => {
  it('is one image named after the time', () => {
    render(AutoDeleteMark, { props: { seconds: 2678400 } });
    expect(screen.getByRole('img', { name: 'Auto-delete: 1 month' })).toBeInTheDocument();
  });
});

describe('auto-delete in the window', () => {
  let restoreLayout: () => void = () => {};
  beforeEach(() => {
    restoreLayout = mockLayout();
  });
  afterEach(() => restoreLayout());

  it('is set from the chat row’s menu and shown in the open chat’s header', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const bob = sampleContact('bob', { displayName: 'Bob' });
    api.backend.contacts.set(bob.accountId, bob);
    const direct = sampleChat({ title: 'Bob', canSetAutoDelete: true });
    addChat(api, direct, [bob]);
    const group = sampleChat({ title: 'Book club', kind: 'group', myRole: 'member' });
    addChat(api, group, [bob]);
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
    const user = userEvent.setup();

    await user.click(await screen.findByRole('option', { name: /Bob/ }));
    const pane = await screen.findByRole('region', { name: 'Bob' });
    expect(within(pane).queryByRole('img', { name: /^Auto-delete/ })).not.toBeInTheDocument();
    await user.pointer({ keys: '[MouseRight]', target: screen.getByRole('option', { name: /Bob/ }) });
    await user.click(await screen.findByRole('menuitemradio', { name: '1 day' }));
    expect(api.chats.setAutoDelete).toHaveBeenCalledWith(direct.id, 86400);
    expect(await within(pane).findByRole('img', { name: 'Auto-delete: 1 day' })).toBeInTheDocument();

    // Turned off on another device: the header follows Go's chat:updated.
    api.emit('chat:updated', { ...api.backend.chats.get(direct.id)!, autoDelete: 0 });
    await waitFor(() => expect(within(pane).queryByRole('img', { name: /^Auto-delete/ })).not.toBeInTheDocument());

    // A group's member sees the time an admin set, and no choice in the menu.
    api.emit('chat:updated', { ...group, autoDelete: 604800 });
    await user.click(await screen.findByRole('option', { name: /Book club/ }));
    const groupPane = await screen.findByRole('region', { name: 'Book club' });
    expect(within(groupPane).getByRole('img', { name: 'Auto-delete: 1 week' })).toBeInTheDocument();
    await user.pointer({ keys: '[MouseRight]', target: screen.getByRole('option', { name: /Book club/ }) });
    await screen.findByRole('menu', { name: 'Book club — chat actions' });
    expect(screen.queryAllByRole('menuitemradio')).toHaveLength(0);
  });
});

describe('ChatInfoDialog auto-delete', () => {
  function dialog(over: Partial<ChatSummary>) {
    const api = createFakeApi({ state: 'unlocked' });
    const chat = sampleChat({ kind: 'group', title: 'Book club', ...over });
    api.backend.chats.set(chat.id, chat);
    api.backend.members.set(chat.id, [{ accountId: ME, handle: 'ada', displayName: 'Ada', role: chat.myRole || 'member', isMe: true }]);
    const messenger = new Messenger(api, attentiveEnv());
    messenger.chats.set([chat]);
    const result = renderWithContext(ChatInfoDialog, { chat, onclose: vi.fn() }, createTestContext({ api }), messenger);
    return { ...result, api, chat, messenger, user: userEvent.setup() };
  }

  it('lets an admin choose it from a menu of radio items', async () => {
    const { api, chat, messenger, rerender, user } = dialog({ myRole: 'admin', canSetAutoDelete: true });
    await user.click(screen.getByRole('button', { name: 'Auto-delete: Off' }));
    const menu = screen.getByRole('menu', { name: 'Auto-delete messages' });
    expect(within(menu).getByRole('menuitemradio', { name: /Off/ })).toHaveAttribute('aria-checked', 'true');
    await user.click(within(menu).getByRole('menuitemradio', { name: /1 week/ }));
    expect(api.chats.setAutoDelete).toHaveBeenCalledWith(chat.id, 604800);
    expect(messenger.chats.get(chat.id)?.autoDelete).toBe(604800);
    await rerender({ chat: messenger.chats.get(chat.id)!, onclose: vi.fn() });
    expect(screen.getByRole('button', { name: 'Auto-delete: 1 week' })).toHaveFocus();
  });

  it('shows Go’s refusal beside the menu', async () => {
    const { api, user } = dialog({ myRole: 'admin', canSetAutoDelete: true });
    api.chats.setAutoDelete.mockRejectedValueOnce(new Error('Not allowed: only the owner and admins set auto-delete in a group'));
    await user.click(screen.getByRole('button', { name: 'Auto-delete: Off' }));
    await user.click(screen.getByRole('menuitemradio', { name: /1 day/ }));
    expect(await screen.findByText(/Could not set the timer: Not allowed: only the owner and admins/)).toBeInTheDocument();
  });

  it('tells a member the time, with nothing to change', () => {
    dialog({ myRole: 'member', autoDelete: 86400 });
    expect(screen.queryByRole('button', { name: /^Auto-delete/ })).not.toBeInTheDocument();
    expect(screen.getByText('Messages auto-delete 1 day after they are sent.')).toBeInTheDocument();
  });
});
