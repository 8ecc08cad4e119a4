import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import { createThemeController } from '../theme';
import RemovedScreen from './RemovedScreen.svelte';

const HEADING = 'This device was removed from your account';

/** The whole app, unlocked, as Go's devices:changed finds it. */
async function startUnlocked() {
  const api = createFakeApi({ state: 'unlocked' });
  render(App, { props: { api, theme: createThemeController({ root: document.documentElement }) } });
  await screen.findByText('No chats yet');
  return { api, user: userEvent.setup() };
}

describe('RemovedScreen', () => {
  it('says the device can no longer send or receive; Erase is there but not available yet', () => {
    renderWithContext(RemovedScreen, {}, createTestContext({ api: createFakeApi({ state: 'unlocked' }) }));
    expect(screen.getByRole('heading', { name: HEADING, level: 1 })).toBeInTheDocument();
    expect(screen.getByText(/can no longer send or receive messages/)).toBeInTheDocument();
    const erase = screen.getByRole('button', { name: 'Erase this device’s data' });
    expect(erase).toBeDisabled();
    expect(erase).toHaveAccessibleDescription('Erasing is not available yet.');
    expect(screen.getByRole('button', { name: 'Lock' })).toHaveFocus();
  });

  it('replaces the main window when another device removes this one', async () => {
    const { api } = await startUnlocked();
    api.emit('devices:changed', { thisDeviceRemoved: false });
    await Promise.resolve();
    expect(screen.queryByRole('heading', { name: HEADING })).not.toBeInTheDocument();

    api.emit('devices:changed', { thisDeviceRemoved: true });
    expect(await screen.findByRole('heading', { name: HEADING, level: 1 })).toBeInTheDocument();
    expect(screen.queryByRole('searchbox', { name: 'Search chats' })).not.toBeInTheDocument();
  });

  it('stays when the event stream reconnects (Status cannot tell a removed device)', async () => {
    const { api } = await startUnlocked();
    api.emit('devices:changed', { thisDeviceRemoved: true });
    await screen.findByRole('heading', { name: HEADING });
    api.reconnect();
    await waitFor(() => expect(api.account.status).toHaveBeenCalledTimes(2));
    expect(screen.getByRole('heading', { name: HEADING })).toBeInTheDocument();
  });

  it('Lock locks the vault and shows the unlock screen', async () => {
    const { api, user } = await startUnlocked();
    api.emit('devices:changed', { thisDeviceRemoved: true });
    await screen.findByRole('heading', { name: HEADING });
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(api.account.lock).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('heading', { name: 'Hush is locked' })).toBeInTheDocument();
  });
});
