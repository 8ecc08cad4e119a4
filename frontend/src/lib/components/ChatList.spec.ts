import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import ChatList from './ChatList.svelte';

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
    expect(within(grace).getByText(/^\d{2}:\d{2}/)).toBeInTheDocument();

    const project = screen.getByRole('option', { name: 'Project Hush' });
    expect(project).toHaveAccessibleDescription(expect.stringContaining('Pinned.'));
    expect(project.querySelector('svg.pin')).not.toBeNull();
    expect(screen.getByRole('option', { name: 'Alan' }).querySelector('svg.pin')).toBeNull();
  });

  it('says "No messages yet" for a chat without messages, with no time', () => {
    render(ChatList, { props: { chats: [sampleChat({ title: 'Empty' })], filter: '', now } });
    const row = screen.getByRole('option', { name: 'Empty' });
    expect(within(row).getByText('No messages yet')).toBeInTheDocument();
    expect(row.querySelector('.time')?.textContent).toBe('');
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
});
