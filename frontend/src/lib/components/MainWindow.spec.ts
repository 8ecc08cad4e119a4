import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeApi, sampleChat } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  const result = renderWithContext(MainWindow, {}, ctx);
  return { ...result, api, ctx };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MainWindow', () => {
  it('shows the empty chat list and the empty pane', async () => {
    const { api, ctx } = setup();
    expect(screen.getByRole('navigation', { name: 'Chats' })).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search chats' })).toHaveFocus();
    expect(screen.getByText('No chats yet')).toBeInTheDocument();
    expect(screen.getByText('Select a chat to start messaging')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Settings' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Lock' })).toBeInTheDocument();
    await waitFor(() => expect(ctx.settings.value?.deviceName).toBe('Laptop'));
    expect(api.settings.get).toHaveBeenCalledTimes(1);
  });

  it('says so when every chat is archived, instead of "No chats yet"', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const chat = sampleChat({ title: 'Old group', kind: 'group', archived: true });
    api.backend.chats.set(chat.id, chat);
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    renderWithContext(MainWindow, {}, ctx);
    expect(await screen.findByText('All your chats are archived')).toBeInTheDocument();
    expect(screen.queryByText('No chats yet')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: /^Archived chats, 1 chat/ })).toBeInTheDocument();
  });

  it('counts the unread messages of the main list, unmuted, in the window title', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    for (const c of [
      sampleChat({ title: 'Grace', unread: 2 }),
      sampleChat({ title: 'Quiet group', kind: 'group', unread: 5, muted: true }),
      sampleChat({ title: 'Old group', kind: 'group', unread: 4, archived: true }),
      sampleChat({ title: 'Alan', unread: 1 }),
    ]) {
      api.backend.chats.set(c.id, c);
    }
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    const { unmount } = renderWithContext(MainWindow, {}, ctx);
    await waitFor(() => expect(document.title).toBe('(3) Hush'));
    expect(api.setTitle).toHaveBeenLastCalledWith('(3) Hush');
    unmount(); // locked: the main window goes
    expect(document.title).toBe('Hush');
  });

  it('has Go prepare its search index at the first letter typed, not when the box has focus', async () => {
    const { api } = setup();
    const search = screen.getByRole('searchbox', { name: 'Search chats' });
    expect(search).toHaveFocus(); // at every unlock: no sign of a search yet
    const user = userEvent.setup();
    await user.click(search);
    expect(api.chats.prepareSearch).not.toHaveBeenCalled();
    await user.type(search, 'ad');
    expect(api.chats.prepareSearch).toHaveBeenCalledTimes(1);
  });

  it('Escape in the search box clears it', async () => {
    setup();
    const user = userEvent.setup();
    const search = screen.getByRole('searchbox', { name: 'Search chats' });
    await user.type(search, 'ada');
    expect(search).toHaveValue('ada');
    await user.keyboard('{Escape}');
    expect(search).toHaveValue('');
  });

  it('locks from the Lock button', async () => {
    const { api, ctx } = setup();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Lock' }));
    await waitFor(() => expect(ctx.session.screen).toBe('unlock'));
    expect(api.account.lock).toHaveBeenCalledTimes(1);
    expect(ctx.session.lockReason).toBe('manual');
  });

  it.each([
    ['Ctrl+L', { ctrlKey: true }],
    ['Cmd+L', { metaKey: true }],
  ])('locks on %s from anywhere, even inside the settings dialog', async (_name, mods) => {
    const { api, ctx } = setup();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    const ev = fireEvent.keyDown(dialog, { key: 'l', ...mods });
    expect(await ev).toBe(false); // default (the browser's Ctrl+L) prevented
    await waitFor(() => expect(ctx.session.screen).toBe('unlock'));
    expect(api.account.lock).toHaveBeenCalledTimes(1);
  });

  it('opens settings as a dialog and returns focus to the button on close', async () => {
    setup();
    const user = userEvent.setup();
    const button = screen.getByRole('button', { name: 'Settings' });
    await user.click(button);
    await screen.findByRole('dialog', { name: 'Settings' });
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(button).toHaveFocus();
  });

  it('reports activity on input at most once per 10 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { api } = setup();
    const start = Date.now();

    await fireEvent.pointerMove(window);
    await fireEvent.keyDown(window, { key: 'a' });
    await fireEvent.pointerDown(window);
    await fireEvent.wheel(window);
    expect(api.account.activity).toHaveBeenCalledTimes(1);

    vi.setSystemTime(start + 9_999);
    await fireEvent.keyDown(window, { key: 'b' });
    expect(api.account.activity).toHaveBeenCalledTimes(1);

    vi.setSystemTime(start + 10_000);
    await fireEvent.pointerDown(window);
    expect(api.account.activity).toHaveBeenCalledTimes(2);
  });

  describe('keyboard', () => {
    let restoreLayout: () => void = () => {};
    beforeEach(() => {
      restoreLayout = mockLayout();
    });
    afterEach(() => restoreLayout());
    function withChats() {
      const api = createFakeApi({ state: 'unlocked' });
      const chats = [
        sampleChat({ title: 'Ada', lastMessageAt: 3000 }),
        sampleChat({ title: 'Grace', lastMessageAt: 2000 }),
        sampleChat({ title: 'Alan', lastMessageAt: 1000 }),
      ];
      for (const c of chats) api.backend.chats.set(c.id, c);
      const ctx = createTestContext({ api });
      ctx.session.applyStatus({ ...api.backend.status });
      renderWithContext(MainWindow, {}, ctx);
      return { api, chats, user: userEvent.setup() };
    }
    const openChat = () => screen.queryByRole('region', { name: /^(Ada|Grace|Alan)$/ })?.getAttribute('aria-label') ?? null;

    it('Alt+Down and Alt+Up open the chat below and above, stopping at the ends', async () => {
      const { user } = withChats();
      await screen.findByRole('option', { name: /Alan/ });
      await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
      await waitFor(() => expect(openChat()).toBe('Ada'));
      await user.keyboard('{Alt>}{ArrowDown}{ArrowDown}{ArrowDown}{/Alt}');
      await waitFor(() => expect(openChat()).toBe('Alan'));
      await user.keyboard('{Alt>}{ArrowUp}{/Alt}');
      await waitFor(() => expect(openChat()).toBe('Grace'));
    });

    it('Ctrl+K opens the quick switcher; Enter opens the chat typed', async () => {
      const { user } = withChats();
      await screen.findByRole('option', { name: /Alan/ });
      await user.keyboard('{Control>}k{/Control}');
      const field = await screen.findByRole('combobox', { name: 'Chat name' });
      expect(field).toHaveFocus();
      await user.keyboard('gra{Enter}');
      await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Go to chat' })).not.toBeInTheDocument());
      await waitFor(() => expect(openChat()).toBe('Grace'));
    });

    it('Ctrl+/ shows the shortcuts; window shortcuts other than lock wait while a dialog is open', async () => {
      const { user } = withChats();
      await user.keyboard('{Control>}/{/Control}');
      expect(await screen.findByRole('dialog', { name: 'Keyboard shortcuts' })).toBeInTheDocument();
      await user.keyboard('{Control>}k{/Control}');
      expect(screen.queryByRole('dialog', { name: 'Go to chat' })).not.toBeInTheDocument();
      await user.keyboard('{Alt>}{ArrowDown}{/Alt}');
      expect(openChat()).toBeNull();
      await user.keyboard('{Escape}');
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    });
  });

  describe('folders', () => {
    let restoreLayout: () => void = () => {};
    beforeEach(() => {
      restoreLayout = mockLayout();
    });
    afterEach(() => restoreLayout());

    it('the tabs narrow the chat list: built-in views and the user’s folders, filed from a chat’s menu', async () => {
      const api = createFakeApi({ state: 'unlocked' });
      const ada = sampleChat({ title: 'Ada', kind: 'direct', lastMessageAt: 3000 });
      const club = sampleChat({ title: 'Book club', kind: 'group', lastMessageAt: 2000 });
      const news = sampleChat({ title: 'News', kind: 'channel', lastMessageAt: 1000 });
      for (const c of [ada, club, news]) api.backend.chats.set(c.id, c);
      const ctx = createTestContext({ api });
      ctx.session.applyStatus({ ...api.backend.status });
      renderWithContext(MainWindow, {}, ctx);
      const user = userEvent.setup();
      await screen.findByRole('listbox', { name: 'Chats' });
      // The list is made anew when it empties (its empty state): look it up each time.
      const list = () => screen.getByRole('listbox', { name: 'Chats' });
      const shown = () => within(list()).queryAllByRole('option');
      await waitFor(() => expect(shown()).toHaveLength(3));

      await user.click(screen.getByRole('tab', { name: 'Groups' }));
      await waitFor(() => expect(shown()).toHaveLength(1));
      expect(within(list()).getByRole('option', { name: /Book club/ })).toBeInTheDocument();
      await user.click(screen.getByRole('tab', { name: 'Channels' }));
      await waitFor(() => expect(within(list()).getByRole('option', { name: /News/ })).toBeInTheDocument());
      expect(shown()).toHaveLength(1);

      // A folder of one's own, made from Edit folders, then filled from a chat's menu.
      await user.click(screen.getByRole('button', { name: 'Edit folders' }));
      await user.type(await screen.findByLabelText('New folder'), 'Work{Enter}');
      await screen.findByRole('tab', { name: 'Work' });
      await user.keyboard('{Escape}');
      await user.click(screen.getByRole('tab', { name: 'Work' }));
      expect(await screen.findByText('No chats here')).toBeInTheDocument();
      await user.click(screen.getByRole('tab', { name: 'All chats' }));
      await waitFor(() => expect(shown()).toHaveLength(3));
      const row = within(list()).getByRole('option', { name: /Ada/ });
      await user.pointer({ keys: '[MouseRight]', target: row });
      await user.click(await screen.findByRole('menuitem', { name: 'Add to folder…' }));
      const dialog = await screen.findByRole('dialog', { name: 'Folders for “Ada”' });
      await user.click(within(dialog).getByRole('checkbox', { name: 'Work' }));
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
      await user.click(screen.getByRole('tab', { name: 'Work' }));
      await waitFor(() => expect(shown()).toHaveLength(1));
      expect(within(list()).getByRole('option', { name: /Ada/ })).toBeInTheDocument();

      // Deleted on another device: the list falls back to all chats.
      api.backend.folders = [];
      api.emit('folders', {});
      await waitFor(() => expect(screen.queryByRole('tab', { name: 'Work' })).not.toBeInTheDocument());
      await waitFor(() => expect(shown()).toHaveLength(3));
      expect(screen.getByRole('tab', { name: 'All chats' })).toHaveAttribute('aria-selected', 'true');
    });
  });
});
