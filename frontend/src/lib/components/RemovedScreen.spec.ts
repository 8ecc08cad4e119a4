import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { ApiError } from '../api';
import { createFakeApi } from '../testing/fakeApi';
import { createThemeController } from '../theme';

// App loads the main window's module on first need; compiling it for the test
// runner takes longer than a findBy waits, so do it once up front.
beforeAll(async () => {
  await import('./MainWindow.svelte');
});

const HEADING = 'This device was removed from your account';
const ERASE = 'Erase this device’s data';

/** The whole app, unlocked, as Go's devices:changed finds it. */
async function startUnlocked() {
  const api = createFakeApi({ state: 'unlocked' });
  render(App, { props: { api, theme: createThemeController({ root: document.documentElement }) } });
  await screen.findByText('No chats yet');
  return { api, user: userEvent.setup() };
}

/** As Go says it: the device learnt it was removed (signed list, or only the relay's refusal). */
async function removed(api: Awaited<ReturnType<typeof startUnlocked>>['api'], verified = true) {
  api.removeThisDevice(verified);
  return screen.findByRole('heading', { name: HEADING, level: 1 });
}

/** The whole app started afresh (a reload) on a device Go knows was removed. */
function startRemoved(state: 'locked' | 'unlocked', removedVerified: boolean) {
  const api = createFakeApi({ state, removed: true, removedVerified });
  render(App, { props: { api, theme: createThemeController({ root: document.documentElement }) } });
  return { api, user: userEvent.setup() };
}

describe('RemovedScreen', () => {
  it('replaces the main window when this device is removed, and says what that means', async () => {
    const { api } = await startUnlocked();
    api.emit('devices:changed', { thisDeviceRemoved: false, verified: false });
    await Promise.resolve();
    expect(screen.queryByRole('heading', { name: HEADING })).not.toBeInTheDocument();

    await removed(api);
    expect(screen.queryByRole('searchbox', { name: 'Search chats' })).not.toBeInTheDocument();
    expect(screen.getByText(/can no longer send or receive messages/)).toBeInTheDocument();
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: ERASE })).toBeEnabled();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Lock' })).toHaveFocus());
  });

  it('warns when only the relay says so, until the signed list confirms it', async () => {
    const { api } = await startUnlocked();
    await removed(api, false);
    expect(screen.getByRole('note')).toHaveTextContent(/^Only the relay says so/);
    api.removeThisDevice(true);
    await waitFor(() => expect(screen.queryByRole('note')).not.toBeInTheDocument());
  });

  it('shows at start-up when Status says this device was removed (a reload)', async () => {
    startRemoved('unlocked', true);
    expect(await screen.findByRole('heading', { name: HEADING, level: 1 })).toBeInTheDocument();
    expect(screen.queryByRole('searchbox', { name: 'Search chats' })).not.toBeInTheDocument();
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
  });

  it('warns at start-up too when Status says only the relay told', async () => {
    startRemoved('unlocked', false);
    await screen.findByRole('heading', { name: HEADING, level: 1 });
    expect(screen.getByRole('note')).toHaveTextContent(/^Only the relay says so/);
  });

  it('asks for the passphrase first when locked, and shows after unlocking', async () => {
    const { api, user } = startRemoved('locked', false);
    await screen.findByRole('heading', { name: 'Hush is locked' });
    await user.type(screen.getByLabelText('Passphrase'), api.backend.passphrase);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('heading', { name: HEADING, level: 1 })).toBeInTheDocument();
    expect(screen.getByRole('note')).toHaveTextContent(/^Only the relay says so/);
  });

  it('comes back after Lock and unlocking again', async () => {
    const { api, user } = await startUnlocked();
    await removed(api);
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Hush is locked' });
    await user.type(screen.getByLabelText('Passphrase'), api.backend.passphrase);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('heading', { name: HEADING, level: 1 })).toBeInTheDocument();
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
  });

  it('stays when the event stream reconnects', async () => {
    const { api } = await startUnlocked();
    await removed(api);
    api.reconnect();
    await waitFor(() => expect(api.account.status).toHaveBeenCalledTimes(2));
    expect(screen.getByRole('heading', { name: HEADING })).toBeInTheDocument();
  });

  it('erases the device through Go once confirmed, then shows the welcome screen', async () => {
    const { api, user } = await startUnlocked();
    await removed(api);
    await user.click(screen.getByRole('button', { name: ERASE }));
    const dialog = screen.getByRole('dialog', { name: ERASE });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Erase' }));

    expect(api.account.eraseDevice).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('heading', { name: 'Welcome to Hush' })).toBeInTheDocument();
  });

  it('keeps the confirmation open with Go’s words when erasing fails, and Cancel keeps the data', async () => {
    const { api, user } = await startUnlocked();
    await removed(api);
    api.account.eraseDevice.mockRejectedValueOnce(
      new ApiError('The vault could not be deleted. Close Hush and delete /data/vault.db yourself.', 500),
    );
    await user.click(screen.getByRole('button', { name: ERASE }));
    const dialog = screen.getByRole('dialog', { name: ERASE });
    await user.click(within(dialog).getByRole('button', { name: 'Erase' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The vault could not be deleted.');

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog', { name: ERASE })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { name: HEADING })).toBeInTheDocument();
  });

  it('Lock locks the vault and shows the unlock screen', async () => {
    const { api, user } = await startUnlocked();
    await removed(api);
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(api.account.lock).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('heading', { name: 'Hush is locked' })).toBeInTheDocument();
  });
});
