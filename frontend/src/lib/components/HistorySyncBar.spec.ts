import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type SyncProgress } from '../api';
import { SYNC_DONE_SHOWN_MS, SYNC_QUIET_MS, SyncStore } from '../stores/sync.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import HistorySyncBar from './HistorySyncBar.svelte';
import MainWindow from './MainWindow.svelte';

function progress(over: Partial<SyncProgress> = {}): SyncProgress {
  return { chatsDone: 12, chatsTotal: 40, messagesDone: 3400, messagesTotal: 10_000, running: true, paused: false, ...over };
}

/** "3,400" in whatever locale the tests run. */
const n = (x: number) => new Intl.NumberFormat().format(x);
const COUNTS = `12 of 40 chats · ${n(3400)} of ${n(10_000)} messages`;

function setup(opts: { fakeTimers?: boolean } = {}) {
  if (opts.fakeTimers) vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
  const api = createFakeApi({ state: 'unlocked' });
  const sync = new SyncStore((paused) => api.devices.pauseSync(paused));
  const result = render(HistorySyncBar, { props: { sync } });
  const user = userEvent.setup(opts.fakeTimers ? { advanceTimers: vi.advanceTimersByTime } : {});
  return { ...result, api, sync, user };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('HistorySyncBar', () => {
  it('shows nothing until a catch-up is reported', () => {
    const { container } = setup();
    expect(container.textContent?.trim()).toBe('');
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('shows how far fetching the history got', async () => {
    const { sync } = setup();
    sync.set(progress());
    const bar = await screen.findByRole('progressbar', { name: 'Fetching your history' });
    expect(bar).toHaveAttribute('value', '3400');
    expect(bar).toHaveAttribute('max', '10000');
    expect(screen.getByRole('status')).toHaveTextContent('Fetching your history');
    expect(screen.getByText(COUNTS)).toBeInTheDocument();

    sync.set(progress({ chatsDone: 13, messagesDone: 5000 }));
    await waitFor(() => expect(bar).toHaveAttribute('value', '5000'));
    expect(screen.getByText(`13 of 40 chats · ${n(5000)} of ${n(10_000)} messages`)).toBeInTheDocument();
  });

  it('says "chat" and "message" for one', async () => {
    const { sync } = setup();
    sync.set(progress({ chatsDone: 0, chatsTotal: 1, messagesDone: 0, messagesTotal: 1 }));
    expect(await screen.findByText('0 of 1 chat · 0 of 1 message')).toBeInTheDocument();
  });

  it('Pause asks Go to pause, and shows "History paused" once Go stopped', async () => {
    const { api, sync, user } = setup();
    sync.set(progress());
    await user.click(await screen.findByRole('button', { name: 'Pause' }));
    expect(api.devices.pauseSync).toHaveBeenCalledExactlyOnceWith(true);
    expect(api.backend.syncPaused).toBe(true);
    // Go finishes what it was fetching before it stops.
    expect(screen.getByRole('button', { name: 'Pausing…' })).toBeDisabled();
    sync.set(progress({ messagesDone: 3500 }));
    await Promise.resolve();
    expect(screen.getByRole('button', { name: 'Pausing…' })).toBeDisabled();

    sync.set(progress({ messagesDone: 3600, running: false, paused: true }));
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeEnabled();
    expect(screen.getByRole('status')).toHaveTextContent('History paused');
    expect(screen.getByRole('progressbar', { name: 'Fetching your history' })).toHaveAttribute('value', '3600');
    expect(screen.queryByRole('button', { name: /Pause/ })).not.toBeInTheDocument();
  });

  it('Resume asks Go to go on, and shows it running again', async () => {
    const { api, sync, user } = setup();
    sync.set(progress({ running: false, paused: true }));
    await user.click(await screen.findByRole('button', { name: 'Resume' }));
    expect(api.devices.pauseSync).toHaveBeenCalledExactlyOnceWith(false);
    expect(api.backend.syncPaused).toBe(false);
    expect(await screen.findByRole('button', { name: 'Pause' })).toBeEnabled();
    expect(screen.getByRole('status')).toHaveTextContent('Fetching your history');
    expect(screen.getByText(COUNTS)).toBeInTheDocument();
  });

  it('shows Go’s words when pausing fails, and Pause stays', async () => {
    const { api, sync, user } = setup();
    api.devices.pauseSync.mockRejectedValueOnce(new ApiError('Hush is not connected.', 409));
    sync.set(progress());
    await user.click(await screen.findByRole('button', { name: 'Pause' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Hush is not connected.');
    expect(screen.getByRole('button', { name: 'Pause' })).toBeEnabled();
  });

  it('says "History complete" for a moment after fetching everything, then goes', async () => {
    const { sync, container } = setup({ fakeTimers: true });
    sync.set(progress());
    await screen.findByRole('progressbar');
    sync.set(progress({ chatsDone: 40, messagesDone: 10_000, running: false }));
    await waitFor(() => expect(screen.queryByRole('progressbar')).not.toBeInTheDocument());
    expect(screen.getByRole('status')).toHaveTextContent('History complete');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();

    vi.advanceTimersByTime(SYNC_DONE_SHOWN_MS);
    await waitFor(() => expect(container.textContent?.trim()).toBe(''));
  });

  it('goes without a word when a catch-up stops short (offline), to go on next time', async () => {
    const { sync, container } = setup();
    sync.set(progress());
    await screen.findByRole('progressbar');
    sync.set(progress({ running: false }));
    await waitFor(() => expect(container.textContent?.trim()).toBe(''));
  });

  it('goes when a running catch-up falls silent (its last report was lost)', async () => {
    const { sync, container } = setup({ fakeTimers: true });
    sync.set(progress());
    await screen.findByRole('progressbar');
    vi.advanceTimersByTime(SYNC_QUIET_MS);
    await waitFor(() => expect(container.textContent?.trim()).toBe(''));
  });

  it('stays while paused, however long', async () => {
    const { sync } = setup({ fakeTimers: true });
    sync.set(progress({ running: false, paused: true }));
    await screen.findByRole('button', { name: 'Resume' });
    vi.advanceTimersByTime(SYNC_QUIET_MS * 4);
    await Promise.resolve();
    expect(screen.getByRole('status')).toHaveTextContent('History paused');
  });
});

describe('HistorySyncBar in the main window', () => {
  it('follows sync:progress at the top of the chat list, and pauses through Go', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status });
    renderWithContext(MainWindow, {}, ctx);
    const nav = screen.getByRole('navigation', { name: 'Chats' });
    await within(nav).findByText('No chats yet');
    expect(within(nav).queryByRole('progressbar')).not.toBeInTheDocument();

    api.emit('sync:progress', progress());
    expect(await within(nav).findByRole('progressbar', { name: 'Fetching your history' })).toBeInTheDocument();
    await userEvent.setup().click(within(nav).getByRole('button', { name: 'Pause' }));
    expect(api.devices.pauseSync).toHaveBeenCalledWith(true);

    api.emit('sync:progress', progress({ running: false, paused: true }));
    expect(await within(nav).findByRole('button', { name: 'Resume' })).toBeInTheDocument();
  });
});
