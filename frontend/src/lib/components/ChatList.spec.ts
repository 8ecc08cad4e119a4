import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import { ROW_PX, mockLayout } from '../testing/layout';
import ChatList from './ChatList.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

const now = new Date(2026, 4, 20, 15, 0).getTime(); // Wednesday 20 May 2026, 15:00

const chats = [
  sampleChat({ id: '1'.repeat(32), title: 'Grace Hopper', lastMessage: 'Found the bug', lastMessageAt: now - 60_000, unread: 3 }),
  sampleChat({ id: '2'.repeat(32), title: 'Project Hush', kind: 'group', lastMessage: 'Release on Friday', lastMessageAt: now - 2 * 86_400_000, pinned: true }),
  sampleChat({ id: '3'.repeat(32), title: 'Alan', lastMessage: 'see you at the café', lastMessageAt: new Date(2026, 0, 3, 9, 0).getTime() }),
];

function names(): string[] {
  return screen.getAllByRole('option').map((o) => o.getAttribute('aria-label') ?? '');
}

describe('ChatList', () => {
  it('names a secret chat with its device and marks it with a padlock', () => {
    const secret = sampleChat({
      id: '4'.repeat(32),
      kind: 'secret',
      title: 'Bob',
      secretDeviceName: 'Bob’s laptop',
      lastMessage: 'psst',
      lastMessageAt: now - 120_000,
    });
    render(ChatList, { props: { chats: [chats[0]!, secret, chats[2]!], filter: '', now } });
    expect(names()).toEqual(['Grace Hopper', 'Secret chat with Bob (Bob’s laptop)', 'Alan']);
    // The padlock is decorative: the row's name says it already.
    const row = screen.getByRole('option', { name: 'Secret chat with Bob (Bob’s laptop)' });
    expect(row.querySelector('svg.secret-icon')).toHaveAttribute('aria-hidden', 'true');
  });

  it('previews a formatted message as plain text, markers taken out', () => {
    const formatted = sampleChat({ id: '4'.repeat(32), title: 'Ada', lastMessage: '**Ship** it _today_ `now`', lastMessageAt: now });
    render(ChatList, { props: { chats: [formatted], filter: '', now } });
    const row = screen.getByRole('option', { name: 'Ada' });
    expect(within(row).getByText('Ship it today now')).toBeInTheDocument();
    expect(row).toHaveAccessibleDescription(expect.stringContaining('Ship it today now'));
    expect(row.querySelector('strong, em, code')).toBeNull();
  });

  it('says there are no chats yet', () => {
    render(ChatList, { props: { chats: [], filter: '' } });
    expect(screen.getByText('No chats yet')).toBeInTheDocument();
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
  });

  it.each([
    ['', ['Grace Hopper', 'Project Hush', 'Alan']],
    ['hush', ['Project Hush']],
    ['  GRACE ', ['Grace Hopper']],
    ['cafe', []], // titles only, not previews
    ['ALAN', ['Alan']],
  ])('filter %j shows %j', (filter, titles) => {
    render(ChatList, { props: { chats, filter, now } });
    if (titles.length === 0) {
      expect(screen.getByText(`No chats match “${filter.trim()}”`)).toBeInTheDocument();
      return;
    }
    expect(names()).toEqual(titles);
  });

  it('shows each row as Telegram does: initials, preview, time, unread, pin', () => {
    render(ChatList, { props: { chats, filter: '', now } });
    const grace = screen.getByRole('option', { name: 'Grace Hopper' });
    expect(within(grace).getByText('GH')).toBeInTheDocument();
    expect(within(grace).getByText('Found the bug')).toBeInTheDocument();
    expect(within(grace).getByText('3')).toBeInTheDocument();
    expect(grace).toHaveAccessibleDescription(expect.stringContaining('3 unread.'));
    // Today's time is the clock, in a <time> carrying the exact instant; screen
    // readers hear it once, in the description (the visible copy is hidden from
    // them, like the preview).
    const time = within(grace).getByRole('time', { hidden: true });
    expect(time).toHaveAttribute('aria-hidden', 'true');
    expect(within(grace).getByText('Found the bug')).toHaveAttribute('aria-hidden', 'true');
    expect(time).toHaveTextContent(/^\d{2}:\d{2}/);
    expect(time).toHaveAttribute('datetime', new Date(now - 60_000).toISOString());
    expect(grace).toHaveAccessibleDescription(expect.stringContaining(time.textContent!));
    // The description's own text is hidden too: browse mode, which reads an
    // option's content, would otherwise say the preview a second time.
    const description = document.getElementById(grace.getAttribute('aria-describedby')!)!;
    expect(description).toHaveAttribute('hidden');
    expect(description.closest('[aria-hidden="true"], [hidden]')).toBe(description);
    expect(within(grace).queryByRole('img', { name: 'Pinned' })).not.toBeInTheDocument();

    const project = screen.getByRole('option', { name: 'Project Hush' });
    expect(project).toHaveAccessibleDescription(expect.stringContaining('Pinned.'));
    expect(within(project).getByRole('img', { name: 'Pinned' })).toBeInTheDocument();
    const alan = screen.getByRole('option', { name: 'Alan' });
    expect(within(alan).queryByRole('img', { name: 'Pinned' })).not.toBeInTheDocument();
  });

  it('says "No messages yet" for a chat without messages, with no time', () => {
    render(ChatList, { props: { chats: [sampleChat({ title: 'Empty' })], filter: '', now } });
    const row = screen.getByRole('option', { name: 'Empty' });
    expect(within(row).getByText('No messages yet')).toBeInTheDocument();
    expect(within(row).queryByRole('time', { hidden: true })).not.toBeInTheDocument();
    expect(row).not.toHaveAccessibleDescription();
  });

  it('moves with the arrow keys, Home and End, and opens with Enter', async () => {
    const onopen = vi.fn();
    render(ChatList, { props: { chats, filter: '', now, onopen } });
    const user = userEvent.setup();
    const options = screen.getAllByRole('option');
    // One tab stop: the first row.
    expect(options.map((o) => o.tabIndex)).toEqual([0, -1, -1]);

    await user.click(options[0]!);
    expect(onopen).toHaveBeenLastCalledWith(chats[0]);
    await user.keyboard('{ArrowDown}');
    expect(options[1]).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(options[2]).toHaveFocus(); // stops at the end
    await user.keyboard('{Home}');
    expect(options[0]).toHaveFocus();
    await user.keyboard('{End}{ArrowUp}');
    expect(options[1]).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(onopen).toHaveBeenLastCalledWith(chats[1]);
    await user.keyboard(' ');
    expect(onopen).toHaveBeenCalledTimes(3);
  });

  it('marks the open chat selected and makes it the tab stop', () => {
    render(ChatList, { props: { chats, filter: '', now, selectedId: chats[2]!.id } });
    const alan = screen.getByRole('option', { name: 'Alan' });
    expect(alan).toHaveAttribute('aria-selected', 'true');
    expect(alan.tabIndex).toBe(0);
    expect(screen.getByRole('option', { name: 'Grace Hopper' })).toHaveAttribute('aria-selected', 'false');
  });

  it('marks a held chat with Go’s sentence, and says it in the row’s description', () => {
    const text = 'This chat is not available on this relay. Its history stays on this device until you delete it.';
    const held = sampleChat({ title: 'Old group', kind: 'group', hold: 'unavailable', holdText: text, lastMessageAt: now });
    render(ChatList, { props: { chats: [held, chats[0]!], filter: '', now } });
    const row = screen.getByRole('option', { name: 'Old group' });
    expect(within(row).getByRole('img', { name: text })).toHaveAttribute('title', text);
    expect(row).toHaveAccessibleDescription(expect.stringContaining(text));
    const ordinary = screen.getByRole('option', { name: 'Grace Hopper' });
    expect(within(ordinary).queryByRole('img')).not.toBeInTheDocument();
  });

  it('shows no unread badge and no hold marker on a request, under the label it is given', () => {
    const request = sampleChat({
      title: 'Stranger',
      lastMessage: 'hello?',
      lastMessageAt: now,
      unread: 7,
      hold: 'request',
      holdText: 'Mallory, who is not in your contacts, wants to chat. Accept to read and answer, or decline.',
    });
    render(ChatList, { props: { chats: [request], filter: '', now, label: 'Requests' } });
    const row = within(screen.getByRole('listbox', { name: 'Requests' })).getByRole('option', { name: 'Stranger' });
    expect(within(row).queryByText('7')).not.toBeInTheDocument();
    expect(within(row).queryByRole('img')).not.toBeInTheDocument();
    expect(row).not.toHaveAccessibleDescription(expect.stringContaining('unread'));
    expect(row).not.toHaveAccessibleDescription(expect.stringContaining('not in your contacts'));
  });

  describe('with 5,000 chats', () => {
    const many = Array.from({ length: 5_000 }, (_, i) =>
      sampleChat({ id: i.toString(16).padStart(32, '0'), title: `Chat ${i}`, lastMessageAt: now - i * 60_000 }),
    );

    it('renders a bounded number of rows, numbered in the whole list', () => {
      render(ChatList, { props: { chats: many, filter: '', now } });
      const options = screen.getAllByRole('option');
      // A 600 px viewport of 60 px rows plus overscan: a few dozen at most.
      expect(options.length).toBeGreaterThan(5);
      expect(options.length).toBeLessThan(40);
      expect(options[0]).toHaveAttribute('aria-posinset', '1');
      expect(options[0]).toHaveAttribute('aria-setsize', '5000');
      // The listbox is as tall as all of them, so the scrollbar is honest.
      expect(parseFloat(screen.getByRole('listbox', { name: 'Chats' }).style.height)).toBeGreaterThanOrEqual(5_000 * ROW_PX);
    });

    it('keeps the keyboard working: End, arrows and Home scroll the active chat into view', async () => {
      const onopen = vi.fn();
      render(ChatList, { props: { chats: many, filter: '', now, onopen } });
      const user = userEvent.setup();
      const listbox = screen.getByRole('listbox', { name: 'Chats' });
      const scroller = listbox.parentElement!;
      await user.click(screen.getByRole('option', { name: 'Chat 0' }));

      await user.keyboard('{End}');
      const last = await waitFor(() => {
        const el = screen.getByRole('option', { name: 'Chat 4999' });
        expect(el).toHaveFocus();
        return el;
      });
      expect(last).toHaveAttribute('aria-posinset', '5000');
      expect(scroller.scrollTop).toBeGreaterThan(4_990 * ROW_PX - 600);
      expect(screen.queryByRole('option', { name: 'Chat 0' })).not.toBeInTheDocument();
      expect(screen.getAllByRole('option').length).toBeLessThan(40);

      await user.keyboard('{ArrowUp}{ArrowUp}');
      await waitFor(() => expect(screen.getByRole('option', { name: 'Chat 4997' })).toHaveFocus());
      await user.keyboard('{Enter}');
      expect(onopen).toHaveBeenLastCalledWith(many[4997]);

      await user.keyboard('{Home}');
      await waitFor(() => expect(screen.getByRole('option', { name: 'Chat 0' })).toHaveFocus());
      expect(scroller.scrollTop).toBe(0);
    });

    it('keeps the focused chat in the DOM while the list is scrolled away from it', async () => {
      render(ChatList, { props: { chats: many, filter: '', now } });
      const scroller = screen.getByRole('listbox', { name: 'Chats' }).parentElement!;
      const first = screen.getByRole('option', { name: 'Chat 0' });
      first.focus();
      scroller.scrollTo({ top: 2_500 * ROW_PX });
      flushSync();
      // Rows from the middle of the list are rendered now, and the first is still there.
      const position = (o: HTMLElement) => Number(o.getAttribute('aria-posinset'));
      await waitFor(() => expect(screen.getAllByRole('option').map(position)).toContain(1));
      await waitFor(() => expect(Math.max(...screen.getAllByRole('option').map(position))).toBeGreaterThan(2_000));
      expect(screen.getAllByRole('option').length).toBeLessThan(40);
      expect(first).toBeInTheDocument();
      expect(first).toHaveFocus();
      expect(first.tabIndex).toBe(0);
    });
  });

  it('shows a muted chat with the muted sign and a grey badge', () => {
    const muted = sampleChat({ title: 'Noisy group', kind: 'group', muted: true, unread: 12, lastMessage: 'spam', lastMessageAt: now });
    render(ChatList, { props: { chats: [muted, chats[0]!], filter: '', now } });
    const row = screen.getByRole('option', { name: 'Noisy group' });
    expect(within(row).getByRole('img', { name: 'Muted' })).toBeInTheDocument();
    expect(within(row).getByText('12')).toHaveClass('muted');
    expect(row).toHaveAccessibleDescription(expect.stringContaining('Muted. 12 unread.'));
    const grace = screen.getByRole('option', { name: 'Grace Hopper' });
    expect(within(grace).queryByRole('img', { name: 'Muted' })).not.toBeInTheDocument();
    expect(within(grace).getByText('3')).not.toHaveClass('muted');
  });

  it('previews a draft instead of the last message, except in the open chat', () => {
    const drafted = chats.map((c, i) => (i === 0 || i === 1 ? { ...c, draft: 'half a thought' } : c));
    render(ChatList, { props: { chats: drafted, filter: '', now, selectedId: chats[1]!.id } });
    const grace = screen.getByRole('option', { name: 'Grace Hopper' });
    expect(within(grace).getByText('Draft:')).toHaveClass('draft');
    expect(within(grace).queryByText('Found the bug')).not.toBeInTheDocument();
    expect(grace).toHaveAccessibleDescription(expect.stringContaining('Draft: half a thought'));
    const open = screen.getByRole('option', { name: 'Project Hush' });
    expect(within(open).queryByText('Draft:')).not.toBeInTheDocument();
    expect(within(open).getByText('Release on Friday')).toBeInTheDocument();
  });

  describe('context menu', () => {
    it('opens on right click and reports the choice', async () => {
      const onaction = vi.fn();
      render(ChatList, { props: { chats, filter: '', now, onaction } });
      const user = userEvent.setup();
      await user.pointer({ keys: '[MouseRight]', target: screen.getByRole('option', { name: 'Grace Hopper' }) });
      const menu = await screen.findByRole('menu', { name: 'Grace Hopper — chat actions' });
      expect(within(menu).getByRole('menuitem', { name: 'Pin chat' })).toHaveFocus();
      await user.click(within(menu).getByRole('menuitem', { name: 'Archive chat' }));
      expect(onaction).toHaveBeenCalledWith(chats[0], 'archive');
      expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    });

    it.each([['{Shift>}{F10}{/Shift}'], ['{ContextMenu}']])('opens from the keyboard (%s); Escape gives focus back', async (keys) => {
      const onaction = vi.fn();
      render(ChatList, { props: { chats, filter: '', now, onaction } });
      const user = userEvent.setup();
      const row = screen.getByRole('option', { name: 'Project Hush' });
      row.focus();
      await user.keyboard(keys);
      const menu = await screen.findByRole('menu', { name: 'Project Hush — chat actions' });
      expect(within(menu).getByRole('menuitem', { name: 'Unpin chat' })).toHaveFocus();
      await user.keyboard('{Escape}');
      expect(screen.queryByRole('menu')).not.toBeInTheDocument();
      await waitFor(() => expect(row).toHaveFocus());
      expect(onaction).not.toHaveBeenCalled();
    });

    it('is not offered without onaction (the requests)', async () => {
      render(ChatList, { props: { chats, filter: '', now } });
      await userEvent.setup().pointer({ keys: '[MouseRight]', target: screen.getByRole('option', { name: 'Alan' }) });
      expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    });
  });
});
