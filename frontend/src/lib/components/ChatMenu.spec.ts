import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import ChatMenu from './ChatMenu.svelte';

function setup(over: Parameters<typeof sampleChat>[0] = {}) {
  const chat = sampleChat({ title: 'Bob', ...over });
  const onchoose = vi.fn();
  const onclose = vi.fn();
  render(ChatMenu, { props: { chat, x: 10, y: 20, onchoose, onclose } });
  return { onchoose, onclose, user: userEvent.setup() };
}

describe('ChatMenu', () => {
  it('is a menu named after the chat, worded after its state, focus on the first item', () => {
    setup();
    const menu = screen.getByRole('menu', { name: 'Bob — chat actions' });
    expect(menu).toBeInTheDocument();
    expect(screen.getAllByRole('menuitem').map((i) => i.textContent?.trim())).toEqual([
      'Pin chat',
      'Archive chat',
      'Mute notifications',
      'Add to folder…',
    ]);
    expect(screen.getByRole('menuitem', { name: 'Pin chat' })).toHaveFocus();
  });

  it('offers the opposite actions for a pinned, archived, muted chat', () => {
    setup({ pinned: true, archived: true, muted: true });
    expect(screen.getAllByRole('menuitem').map((i) => i.textContent?.trim())).toEqual([
      'Unpin chat',
      'Unarchive chat',
      'Unmute notifications',
      'Add to folder…',
    ]);
  });

  it('offers no folders for a secret chat, which stays on this device', () => {
    setup({ kind: 'secret' });
    expect(screen.queryByRole('menuitem', { name: 'Add to folder…' })).not.toBeInTheDocument();
  });

  it('moves with the arrow keys, Home and End, and chooses with Enter', async () => {
    const { user, onchoose } = setup();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole('menuitem', { name: 'Archive chat' })).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}');
    expect(screen.getByRole('menuitem', { name: 'Pin chat' })).toHaveFocus(); // wraps
    await user.keyboard('{ArrowUp}');
    expect(screen.getByRole('menuitem', { name: 'Add to folder…' })).toHaveFocus();
    await user.keyboard('{Home}');
    expect(screen.getByRole('menuitem', { name: 'Pin chat' })).toHaveFocus();
    await user.keyboard('{End}{ArrowUp}{Enter}');
    expect(onchoose).toHaveBeenCalledWith('mute');
  });

  it('closes on Escape, asking for focus back', async () => {
    const { user, onclose, onchoose } = setup();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledWith(true);
    expect(onchoose).not.toHaveBeenCalled();
  });

  it('closes on a click elsewhere', async () => {
    const { user, onclose } = setup();
    await user.click(document.body);
    expect(onclose).toHaveBeenCalledWith(false);
  });
});
