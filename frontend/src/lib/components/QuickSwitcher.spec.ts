import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import QuickSwitcher from './QuickSwitcher.svelte';

function setup() {
  const chats = [
    sampleChat({ title: 'Zoë', unread: 3 }),
    sampleChat({ title: 'Book club', kind: 'group', archived: true }),
    sampleChat({ title: 'Bob', kind: 'secret', secretDeviceName: 'Laptop' }),
    sampleChat({ title: 'Alan' }),
  ];
  const onopen = vi.fn();
  const onclose = vi.fn();
  render(QuickSwitcher, { chats, onopen, onclose });
  return { chats, onopen, onclose, user: userEvent.setup() };
}

/** The options' text, without the avatars' initials (hidden from screen readers). */
function optionNames(): string[] {
  return screen.getAllByRole('option').map((o) =>
    [...o.childNodes]
      .filter((n) => !(n instanceof Element && n.getAttribute('aria-hidden') === 'true'))
      .map((n) => n.textContent)
      .join('')
      .replace(/\s+/g, ' ')
      .replace(/ ,/g, ',')
      .trim(),
  );
}

describe('QuickSwitcher', () => {
  it('opens with the field focused and lists the chats, archived ones last', () => {
    setup();
    expect(screen.getByRole('dialog', { name: 'Go to chat' })).toBeInTheDocument();
    const field = screen.getByRole('combobox', { name: 'Chat name' });
    expect(field).toHaveFocus();
    expect(optionNames()).toEqual(['Zoë, 3 unread', 'Secret chat with Bob (Laptop)', 'Alan', 'Book club, Archived']);
    expect(screen.getAllByRole('option')[0]).toHaveAttribute('aria-selected', 'true');
    expect(field).toHaveAttribute('aria-activedescendant', screen.getAllByRole('option')[0]!.id);
  });

  it('narrows by title as you type, ignoring case and accents, and opens the match with Enter', async () => {
    const { chats, onopen, onclose, user } = setup();
    await user.type(screen.getByRole('combobox', { name: 'Chat name' }), 'zoe{Enter}');
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(onopen).toHaveBeenCalledWith(chats[0]);
  });

  it('moves through the matches with the arrow keys, wrapping', async () => {
    const { chats, onopen, user } = setup();
    const field = screen.getByRole('combobox', { name: 'Chat name' });
    await user.type(field, 'b');
    expect(optionNames()).toEqual(['Secret chat with Bob (Laptop)', 'Book club, Archived']);
    await user.keyboard('{ArrowDown}');
    expect(screen.getAllByRole('option')[1]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowDown}');
    expect(screen.getAllByRole('option')[0]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowUp}{Enter}');
    expect(onopen).toHaveBeenCalledWith(chats[1]);
  });

  it('opens a chat on click', async () => {
    const { chats, onopen, user } = setup();
    await user.click(screen.getByRole('option', { name: /Alan/ }));
    expect(onopen).toHaveBeenCalledWith(chats[3]);
  });

  it('says when nothing matches, and Enter then does nothing', async () => {
    const { onopen, onclose, user } = setup();
    await user.type(screen.getByRole('combobox', { name: 'Chat name' }), 'nobody{Enter}');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(screen.getByText('No chat is called “nobody”.')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('No chat matches');
    expect(onopen).not.toHaveBeenCalled();
    expect(onclose).not.toHaveBeenCalled();
  });

  it('closes with Escape', async () => {
    const { onclose, onopen, user } = setup();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(onopen).not.toHaveBeenCalled();
  });
});
