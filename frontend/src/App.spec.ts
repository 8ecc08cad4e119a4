import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { ApiError, type Status } from './lib/api';
import { createFakeApi, sampleSettings } from './lib/testing/fakeApi';
import { createThemeController } from './lib/theme';

function start(status: Partial<Status>) {
  const api = createFakeApi(status);
  const theme = createThemeController({ root: document.documentElement });
  const user = userEvent.setup();
  render(App, { props: { api, theme } });
  return { api, user };
}

afterEach(() => {
  delete document.documentElement.dataset['theme'];
});

// App loads the main window's module on first need; compiling it for the test
// runner takes longer than a findBy waits, so do it once up front.
beforeAll(async () => {
  await import('./lib/components/MainWindow.svelte');
});

describe('App', () => {
  it.each([
    ['new', 'Welcome to Hush'],
    ['locked', 'Hush is locked'],
  ] as const)('shows the %s screen Status calls for', async (state, heading) => {
    start({ state });
    expect(await screen.findByRole('heading', { name: heading, level: 1 })).toBeInTheDocument();
  });

  it('opens the main window when already unlocked (a reload in browser mode)', async () => {
    start({ state: 'unlocked' });
    expect(await screen.findByText('No chats yet')).toBeInTheDocument();
  });

  it('moves to the unlock screen on vault:locked and says why', async () => {
    const { api } = start({ state: 'unlocked' });
    await screen.findByText('No chats yet');
    api.backend.status = { ...api.backend.status, state: 'locked' };
    api.emit('vault:locked', { reason: 'idle' });
    expect(await screen.findByRole('heading', { name: 'Hush is locked' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Locked after inactivity');
  });

  it('applies settings:changed from another window, theme included', async () => {
    const { api } = start({ state: 'unlocked' });
    await screen.findByText('No chats yet');
    api.emit('settings:changed', { ...sampleSettings, theme: 'dark' });
    await waitFor(() => expect(document.documentElement.dataset['theme']).toBe('dark'));
  });

  it('re-reads Status when the event stream reconnects', async () => {
    const { api } = start({ state: 'unlocked' });
    await screen.findByText('No chats yet');
    // The vault locked while the socket was down: the event was lost.
    api.backend.status = { ...api.backend.status, state: 'locked' };
    api.reconnect();
    expect(await screen.findByRole('heading', { name: 'Hush is locked' })).toBeInTheDocument();
  });

  it('says when Hush cannot be reached, and retries', async () => {
    const api = createFakeApi({ state: 'locked' });
    api.account.status.mockRejectedValueOnce(new ApiError('missing or wrong session token', 401));
    render(App, { props: { api, theme: createThemeController({ root: document.documentElement }) } });
    expect(await screen.findByRole('alert')).toHaveTextContent('missing or wrong session token');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'Hush is locked' })).toBeInTheDocument();
  });

  it('goes welcome → main → locked → main through the whole flow', async () => {
    const { user, api } = start({ state: 'new' });
    await user.type(await screen.findByLabelText('Your name'), 'Ada');
    await user.type(screen.getByLabelText('Passphrase'), 'velvet orbit quartz lantern 93');
    await user.type(screen.getByLabelText('Confirm passphrase'), 'velvet orbit quartz lantern 93');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('No chats yet')).toBeInTheDocument();

    await user.keyboard('{Control>}l{/Control}');
    const field = await screen.findByLabelText('Passphrase');
    expect(api.account.lock).toHaveBeenCalledTimes(1);

    await user.type(field, 'velvet orbit quartz lantern 93{enter}');
    expect(await screen.findByText('No chats yet')).toBeInTheDocument();
    // The real strength estimator loads its dictionaries here: seconds on a busy machine.
  }, 20_000);

  // Go decides when a message deserves a notification, in both modes, so both
  // tell it whether the user is looking.
  it.each(['wails', 'browser'] as const)('reports window focus to Go (%s), once per change', async (mode) => {
    const api = { ...createFakeApi({ state: 'locked' }), mode };
    const hasFocus = vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    render(App, { props: { api, theme: createThemeController({ root: document.documentElement }) } });
    await screen.findByRole('heading', { name: 'Hush is locked' });
    expect(api.window.setFocused.mock.calls).toEqual([[true]]);
    hasFocus.mockReturnValue(false);
    window.dispatchEvent(new Event('blur'));
    await waitFor(() => expect(api.window.setFocused).toHaveBeenLastCalledWith(false));
    window.dispatchEvent(new Event('blur'));
    hasFocus.mockReturnValue(true);
    window.dispatchEvent(new Event('focus'));
    await waitFor(() => expect(api.window.setFocused.mock.calls).toEqual([[true], [false], [true]]));
  });
});
