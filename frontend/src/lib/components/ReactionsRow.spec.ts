import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import ReactionsRow from './ReactionsRow.svelte';

const reactions = [
  { emoji: '👍', count: 2, mine: true, names: ['you', 'Bob'] },
  { emoji: '🎉', count: 1, mine: false, names: ['Carol'] },
];

describe('ReactionsRow', () => {
  it('names each reaction with its count and who reacted, pressed when ours', () => {
    render(ReactionsRow, { props: { reactions, onreact: vi.fn() } });
    const mine = screen.getByRole('button', { name: '👍 2, you and Bob reacted' });
    expect(mine).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: '🎉 1, Carol reacted' })).toHaveAttribute('aria-pressed', 'false');
  });

  it('takes ours back and adds to theirs', async () => {
    const onreact = vi.fn();
    render(ReactionsRow, { props: { reactions, onreact, tabindex: 0 } });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /^👍/ }));
    expect(onreact).toHaveBeenCalledWith('👍', true);
    await user.click(screen.getByRole('button', { name: /^🎉/ }));
    expect(onreact).toHaveBeenLastCalledWith('🎉', false);
  });

  it('is plain where the user cannot react', () => {
    render(ReactionsRow, { props: { reactions } });
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('img', { name: '👍 2, you and Bob reacted' })).toBeInTheDocument();
  });
});
