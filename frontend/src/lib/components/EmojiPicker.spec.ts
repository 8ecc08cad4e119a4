import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RECENT_STORAGE_KEY, emojiData, loadEmoji } from '../emoji';
import { memoryStorage } from '../testing/storage';
import EmojiPicker from './EmojiPicker.svelte';

async function open(recent: string[] = []) {
  const onpick = vi.fn();
  const onclose = vi.fn();
  render(EmojiPicker, { onpick, onclose, storage: memoryStorage({ [RECENT_STORAGE_KEY]: JSON.stringify(recent) }) });
  const dialog = screen.getByRole('dialog', { name: 'Emoji' });
  await waitFor(() => expect(within(dialog).getByRole('tablist')).toBeInTheDocument(), { timeout: 5000 });
  return { onpick, onclose, dialog, user: userEvent.setup() };
}

describe('EmojiPicker', () => {
  it('starts in the search field, recently used first, filled with the quick reactions', async () => {
    const { dialog } = await open(['🐶']);
    expect(within(dialog).getByRole('searchbox', { name: 'Search emoji' })).toHaveFocus();
    const tabs = within(dialog).getAllByRole('tab');
    const groups = (await loadEmoji()).groups.map((g) => g.label);
    expect(tabs.map((t) => t.getAttribute('aria-label'))).toEqual(['Recently used', ...groups]);
    expect(tabs[0]).toHaveAttribute('aria-selected', 'true');
    const grid = within(dialog).getByRole('grid', { name: 'Recently used' });
    const cells = within(grid).getAllByRole('gridcell');
    expect(within(cells[0]!).getByRole('button')).toHaveAccessibleName('dog face');
    expect(within(cells[1]!).getByRole('button')).toHaveAccessibleName('thumbs up');
  });

  it('moves through the grid with the arrow keys and picks with Enter', async () => {
    const { dialog, onpick, user } = await open();
    await user.click(within(dialog).getByRole('tab', { name: 'Smileys & emotion' }));
    const grid = within(dialog).getByRole('grid', { name: 'Smileys & emotion' });
    const buttons = within(grid).getAllByRole('button');
    expect(buttons.filter((b) => b.tabIndex === 0)).toHaveLength(1); // one tab stop
    expect(buttons[0]).toHaveAccessibleName('grinning face');
    buttons[0]!.focus();
    await user.keyboard('{ArrowRight}{ArrowRight}{ArrowDown}');
    expect(buttons[10]).toHaveFocus(); // 8 to a row: third of the second row
    await user.keyboard('{ArrowLeft}{Home}');
    expect(buttons[8]).toHaveFocus();
    await user.keyboard('{End}');
    expect(buttons[15]).toHaveFocus();
    await user.keyboard('{ArrowUp}{Enter}');
    expect(onpick).toHaveBeenCalledWith(buttons[7]!.textContent);
  });

  it('switches categories with the arrow keys on the tabs', async () => {
    const { dialog, user } = await open();
    within(dialog).getByRole('tab', { name: 'Recently used' }).focus();
    await user.keyboard('{ArrowRight}');
    expect(within(dialog).getByRole('tab', { name: 'Smileys & emotion' })).toHaveFocus();
    expect(within(dialog).getByRole('tab', { name: 'Smileys & emotion' })).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(within(dialog).getByRole('tab', { name: 'Flags' })).toHaveFocus();
  });

  it('searches by name and word, says how many, and goes down into the results', async () => {
    const { dialog, onpick, user } = await open();
    await user.keyboard('thumbs');
    expect(within(dialog).queryByRole('tablist')).not.toBeInTheDocument();
    const grid = within(dialog).getByRole('grid', { name: 'Emoji found' });
    expect(within(grid).getAllByRole('gridcell').map((c) => c.textContent)).toHaveLength(2);
    expect(within(dialog).getByRole('status')).toHaveTextContent('2 emoji found');
    await user.keyboard('{ArrowDown}');
    expect(within(grid).getByRole('button', { name: 'thumbs up' })).toHaveFocus();
    await user.keyboard(' ');
    expect(onpick).toHaveBeenCalledWith('👍️');
    await user.click(within(dialog).getByRole('searchbox'));
    await user.keyboard('{Control>}a{/Control}qqqzzz');
    expect(within(dialog).getByText('No emoji match “qqqzzz”')).toBeInTheDocument();
  });

  it('closes on Escape (focus to go back) and on a click outside', async () => {
    const { onclose, user } = await open();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledWith(true);
    await user.click(document.body);
    expect(onclose).toHaveBeenLastCalledWith(false);
  });

  it('says so when the list cannot be loaded', async () => {
    render(EmojiPicker, { onpick: vi.fn(), onclose: vi.fn(), load: () => Promise.reject(new Error('offline')) });
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load the emoji: offline');
  });

  it('shows a list it is given, and nothing of an unknown shape', async () => {
    render(EmojiPicker, {
      onpick: vi.fn(),
      onclose: vi.fn(),
      load: async () => emojiData([{ group: 4, unicode: '🍕', label: 'pizza', tags: ['cheese'] }]),
    });
    await userEvent.setup().click(await screen.findByRole('tab', { name: 'Food & drink' }));
    const grid = screen.getByRole('grid', { name: 'Food & drink' });
    expect(within(grid).getByRole('button', { name: 'pizza' })).toHaveTextContent('🍕');
  });
});
