import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { SearchHit } from '../api';
import SearchHitList from './SearchHitList.svelte';

const now = new Date(2026, 5, 10, 12, 0).getTime();

function hit(id: string, over: Partial<SearchHit> = {}): SearchHit {
  return {
    chatId: `chat-${id}`,
    messageId: id,
    sentAt: now - 60_000,
    snippet: [
      { text: 'Meet at the ', hit: false },
      { text: 'Café', hit: true },
      { text: ' at noon', hit: false },
    ],
    cutBefore: false,
    cutAfter: false,
    ...over,
  };
}

describe('SearchHitList', () => {
  it('shows each hit with its chat, time and snippet, the match in <mark>', () => {
    render(SearchHitList, {
      hits: [hit('a', { cutBefore: true, cutAfter: true }), hit('b')],
      label: 'Messages found',
      chatName: (id: string) => (id === 'chat-a' ? 'Bob' : 'Team'),
      now,
      onopen: () => {},
    });
    const list = screen.getByRole('list', { name: 'Messages found' });
    const buttons = within(list).getAllByRole('button');
    expect(buttons).toHaveLength(2);
    expect(buttons[0]).toHaveAccessibleName(/^Bob Today, .* …Meet at the Café at noon…$/);
    const marks = list.querySelectorAll('mark');
    expect([...marks].map((m) => m.textContent)).toEqual(['Café', 'Café']);
    expect(buttons[1]).toHaveTextContent('Team');
  });

  it('shows a snippet without its formatting markers, the match still marked', () => {
    const snippet = [
      { text: 'ship **the ', hit: false },
      { text: 'release', hit: true },
      { text: '** `now` snake_case', hit: false },
    ];
    render(SearchHitList, { hits: [hit('a', { snippet })], label: 'Found', now, onopen: () => {} });
    expect(screen.getByRole('button')).toHaveAccessibleName(/^Today, .* ship the release now snake_case$/);
    expect([...document.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['release']);
  });

  it('leaves the chat out when every hit is of one chat', () => {
    render(SearchHitList, { hits: [hit('a')], label: 'Found', now, onopen: () => {} });
    expect(screen.getByRole('button')).toHaveAccessibleName(/^Today, .* Meet at the Café at noon$/);
  });

  it('has one tab stop, moves with the arrow keys, Home and End, and opens with Enter', async () => {
    const user = userEvent.setup();
    const onopen = vi.fn();
    render(SearchHitList, { hits: [hit('a'), hit('b'), hit('c')], label: 'Found', now, onopen });
    const [a, b, c] = screen.getAllByRole('button');
    expect([a, b, c].map((x) => x!.tabIndex)).toEqual([0, -1, -1]);
    a!.focus();
    await user.keyboard('{ArrowDown}');
    expect(b).toHaveFocus();
    await user.keyboard('{End}');
    expect(c).toHaveFocus();
    await user.keyboard('{ArrowDown}'); // stays on the last
    expect(c).toHaveFocus();
    await user.keyboard('{Home}');
    expect(a).toHaveFocus();
    await user.keyboard('{ArrowDown}{Enter}');
    expect(onopen).toHaveBeenCalledWith(expect.objectContaining({ messageId: 'b' }));
    expect([a, b, c].map((x) => x!.tabIndex)).toEqual([-1, 0, -1]);
  });
});
