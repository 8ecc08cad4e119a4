import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { contextOf } from '../messageActions';
import { sampleChat, sampleMessage } from '../testing/fakeApi';
import MessageMenu from './MessageMenu.svelte';

function setup(over: Parameters<typeof sampleMessage>[0] = {}) {
  const message = sampleMessage({ senderName: 'Bob', ...over });
  const onchoose = vi.fn();
  const onclose = vi.fn();
  render(MessageMenu, { props: { message, context: contextOf(sampleChat(), true), x: 10, y: 20, onchoose, onclose } });
  return { onchoose, onclose, user: userEvent.setup() };
}

describe('MessageMenu', () => {
  it("is a menu named after the message, focus on the first reaction", () => {
    setup();
    expect(screen.getByRole('menu', { name: "Actions on Bob's message" })).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'React with 👍' })).toHaveFocus();
    expect(screen.getByRole('menuitem', { name: 'Reply' })).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Delete…' })).toBeInTheDocument();
    expect(screen.queryByRole('menuitem', { name: 'Edit' })).toBeNull();
  });

  it('offers Edit on our own message', () => {
    setup({ outgoing: true });
    expect(screen.getByRole('menu', { name: 'Actions on your message' })).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Edit' })).toBeInTheDocument();
  });

  it('moves with the arrows and chooses with Enter', async () => {
    const { user, onchoose } = setup();
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('menuitem', { name: 'React with ❤️' })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(onchoose).toHaveBeenCalledWith({ react: '❤️', remove: false });
    await user.keyboard('{End}{Enter}');
    expect(onchoose).toHaveBeenLastCalledWith('delete');
  });

  it('closes on Escape, asking for focus back', async () => {
    const { user, onclose, onchoose } = setup();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledWith(true);
    expect(onchoose).not.toHaveBeenCalled();
  });
});
