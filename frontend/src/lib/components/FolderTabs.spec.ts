import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import FolderTabs from './FolderTabs.svelte';

const folders = [{ id: 'f'.repeat(32), name: 'Work', chatIds: [] as string[] }];

function setup(view = 'all') {
  const chats = [
    sampleChat({ kind: 'direct', unread: 2 }),
    sampleChat({ kind: 'group', unread: 1, muted: true }),
    sampleChat({ kind: 'channel', unread: 4 }),
  ];
  folders[0]!.chatIds = [chats[2]!.id];
  const onselect = vi.fn();
  const onedit = vi.fn();
  render(FolderTabs, { chats, folders, view, onselect, onedit });
  return { onselect, onedit, user: userEvent.setup() };
}

describe('FolderTabs', () => {
  it('shows the built-in views and the user’s folders, with unread chats (muted ones aside)', () => {
    setup();
    const tabs = screen.getAllByRole('tab').map((t) => t.textContent?.replace(/\s+/g, ' ').trim());
    expect(tabs).toEqual(['All chats2, 2 unread', 'Unread2, 2 unread', 'Personal1, 1 unread', 'Groups', 'Channels1, 1 unread', 'Work1, 1 unread']);
    expect(screen.getByRole('tab', { name: 'All chats, 2 unread' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: 'Groups' })).toHaveAttribute('tabindex', '-1');
  });

  it('selects on click and with the arrow keys (wrapping), Home and End', async () => {
    const { onselect, user } = setup('all');
    await user.click(screen.getByRole('tab', { name: 'Groups' }));
    expect(onselect).toHaveBeenLastCalledWith('groups');
    screen.getByRole('tab', { name: /^All chats/ }).focus();
    await user.keyboard('{ArrowLeft}');
    expect(onselect).toHaveBeenLastCalledWith(folders[0]!.id);
    await user.keyboard('{Home}');
    expect(onselect).toHaveBeenLastCalledWith('all');
    await user.keyboard('{End}');
    expect(onselect).toHaveBeenLastCalledWith(folders[0]!.id);
  });

  it('opens the folders dialog from Edit folders', async () => {
    const { onedit, user } = setup();
    await user.click(screen.getByRole('button', { name: 'Edit folders' }));
    expect(onedit).toHaveBeenCalledTimes(1);
  });
});
