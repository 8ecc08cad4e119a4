import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import ShortcutsSheet from './ShortcutsSheet.svelte';

describe('ShortcutsSheet', () => {
  it('lists the shortcuts with this platform’s keys, one row each', () => {
    render(ShortcutsSheet, { onclose: vi.fn(), platform: 'MacIntel' });
    const table = within(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).getByRole('table');
    expect(within(table).getByRole('row', { name: '⌘+K Go to a chat (quick switcher)' })).toBeInTheDocument();
    expect(within(table).getByRole('row', { name: '⌘+L Lock Hush' })).toBeInTheDocument();
  });

  it('uses Ctrl elsewhere, and closes with the dialog’s Close button', async () => {
    const onclose = vi.fn();
    render(ShortcutsSheet, { onclose, platform: 'Win32' });
    expect(screen.getByRole('row', { name: 'Alt+↓ Open the chat below' })).toBeInTheDocument();
    const close = screen.getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus();
    await userEvent.setup().click(close);
    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
