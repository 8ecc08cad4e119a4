import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lazy } from '../lazy';
import Lazy from './Lazy.svelte';

type SheetProps = { onclose: () => void; platform?: string };
// ShortcutsSheet exports nothing.
const LazySheet = Lazy<SheetProps, {}>;

/** A module import the test settles by hand, counting the loads. */
function controlled() {
  let settle: { resolve: (m: { default: Component<SheetProps> }) => void; reject: (e: Error) => void } | undefined;
  const importer = vi.fn(
    () =>
      new Promise<{ default: Component<SheetProps> }>((resolve, reject) => {
        settle = { resolve, reject };
      }),
  );
  return {
    importer,
    async resolve(): Promise<void> {
      settle?.resolve(await import('./ShortcutsSheet.svelte'));
    },
    reject(e: Error): void {
      settle?.reject(e);
    },
  };
}

/** The button that opened the dialog, focused, as a click leaves it. */
function opener(): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = 'Shortcuts';
  document.body.append(b);
  b.focus();
  return b;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('Lazy', () => {
  it('shows nothing while loading, then the dialog, focused as it always is; closing gives focus back', async () => {
    const load = controlled();
    const component = lazy(load.importer);
    const button = opener();
    const onclose = vi.fn();
    const { container, unmount } = render(LazySheet, {
      props: { component, what: 'Keyboard shortcuts', onclose, platform: 'Win32' },
    });
    expect(container.querySelector('*')).toBeNull();
    expect(container).toHaveTextContent('');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(button).toHaveFocus();

    await load.resolve();
    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();
    // Its props arrived: Ctrl on this platform.
    expect(within(dialog).getByRole('row', { name: 'Alt+↓ Open the chat below' })).toBeInTheDocument();
    await userEvent.setup().keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
    unmount();
    expect(button).toHaveFocus();
  });

  it('draws a loaded component at once the next time, without loading it again', async () => {
    const load = controlled();
    const component = lazy(load.importer);
    const first = render(LazySheet, { props: { component, what: 'Keyboard shortcuts', onclose: vi.fn() } });
    await load.resolve();
    await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    first.unmount();

    render(LazySheet, { props: { component, what: 'Keyboard shortcuts', onclose: vi.fn() } });
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeInTheDocument();
    expect(load.importer).toHaveBeenCalledTimes(1);
  });

  it('passes later changes of the props on', async () => {
    const load = controlled();
    const { rerender } = render(LazySheet, {
      props: { component: lazy(load.importer), what: 'Keyboard shortcuts', onclose: vi.fn(), platform: 'Win32' },
    });
    await load.resolve();
    expect(await screen.findByRole('row', { name: 'Alt+↓ Open the chat below' })).toBeInTheDocument();
    await rerender({ platform: 'MacIntel' });
    expect(screen.getByRole('row', { name: '⌘+L Lock Hush' })).toBeInTheDocument();
  });

  it('says when the chunk cannot load, in a dialog that closes like the one asked for; the next opening tries again', async () => {
    const load = controlled();
    const component = lazy(load.importer);
    const button = opener();
    const onclose = vi.fn();
    const { unmount } = render(LazySheet, { props: { component, what: 'Keyboard shortcuts', onclose } });
    load.reject(new TypeError('Failed to fetch dynamically imported module'));

    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(dialog).getByRole('alert')).toHaveTextContent(
      'Keyboard shortcuts could not load: Failed to fetch dynamically imported module',
    );
    const close = within(dialog).getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus();
    await userEvent.setup().click(close);
    expect(onclose).toHaveBeenCalledTimes(1);
    unmount();
    expect(button).toHaveFocus();

    // Opened again: loaded again, and this time it works.
    render(LazySheet, { props: { component, what: 'Keyboard shortcuts', onclose } });
    await waitFor(() => expect(load.importer).toHaveBeenCalledTimes(2));
    await load.resolve();
    const sheet = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(sheet).queryByRole('alert')).toBeNull();
    expect(within(sheet).getByRole('table')).toBeInTheDocument();
  });

  it('closes the failure with ondismiss when the component closes another way', async () => {
    const load = controlled();
    const onclose = vi.fn();
    const ondismiss = vi.fn();
    render(LazySheet, { props: { component: lazy(load.importer), what: 'Send files', ondismiss, onclose } });
    load.reject(new Error('gone'));
    await userEvent.setup().keyboard('{Escape}');
    await waitFor(() => expect(ondismiss).toHaveBeenCalledTimes(1));
    expect(onclose).not.toHaveBeenCalled();
  });

  it('shows the failure in place of a panel that has no way to close', async () => {
    type PanelProps = { label: string };
    const importer = vi.fn((): Promise<{ default: Component<PanelProps> }> => Promise.reject(new Error('gone')));
    render(Lazy<PanelProps, {}>, { props: { component: lazy(importer), what: 'History sync', label: 'x' } });
    expect(await screen.findByRole('alert')).toHaveTextContent('History sync could not load: gone');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
