import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type LinkProgress } from '../api';
import { createFakeApi, sampleLinkCheck, sampleStatus } from '../testing/fakeApi';
import { createTestContext, instantEstimator, renderWithContext } from '../testing/render';
import WelcomeScreen from './WelcomeScreen.svelte';

const strong = 'velvet orbit quartz lantern 93';

/** Length-only scores: no dictionaries to load in these tests. */
const estimator = () =>
  instantEstimator((p) =>
    p.length >= 20
      ? { score: 4, label: 'strong', warning: '', suggestions: [] }
      : { score: 1, label: 'weak', warning: '', suggestions: [] },
  );

/** The welcome screen of a device without a vault, switched to "Link to an existing account". */
async function setup(opts: { fakeTimers?: boolean; defaultRelayUrl?: string } = {}) {
  if (opts.fakeTimers) vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldAdvanceTime: true });
  const status = sampleStatus({ state: 'new', ...(opts.defaultRelayUrl ? { defaultRelayUrl: opts.defaultRelayUrl } : {}) });
  const api = createFakeApi(status);
  const ctx = createTestContext({ api, strength: estimator() });
  ctx.session.applyStatus(status);
  const user = userEvent.setup(opts.fakeTimers ? { advanceTimers: vi.advanceTimersByTime } : {});
  const result = renderWithContext(WelcomeScreen, {}, ctx);
  await user.click(screen.getByRole('button', { name: 'Link to an existing account' }));
  await screen.findByRole('heading', { name: 'Link to an existing account', level: 1 });
  return { ...result, api, user };
}

/** Fills the form with a good passphrase and asks for the code. */
async function showCode(user: ReturnType<typeof userEvent.setup>, relay?: string) {
  if (relay !== undefined) {
    await user.clear(screen.getByLabelText('Relay address'));
    await user.type(screen.getByLabelText('Relay address'), relay);
  }
  await user.type(screen.getByLabelText('Passphrase'), strong);
  await user.type(screen.getByLabelText('Confirm passphrase'), strong);
  await user.click(screen.getByRole('button', { name: 'Show link code' }));
  return screen.findByRole('img', { name: 'Link code as a QR code' });
}

function progress(p: Partial<LinkProgress> & Pick<LinkProgress, 'stage'>): LinkProgress {
  return { emoji: [], digits: '', error: '', ...p };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LinkAccountScreen: the form', () => {
  it('opens from the welcome screen with the default relay, and Back returns', async () => {
    const { user } = await setup();
    const relay = screen.getByLabelText('Relay address');
    expect(relay).toHaveValue('ws://127.0.0.1:8443');
    expect(relay).toHaveFocus();
    expect(screen.getByRole('meter', { name: 'Passphrase strength' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Back' }));
    const link = await screen.findByRole('button', { name: 'Link to an existing account' });
    expect(screen.getByRole('heading', { name: 'Welcome to Hush' })).toBeInTheDocument();
    await waitFor(() => expect(link).toHaveFocus());
  });

  it('starts at the relay Go names (Status.defaultRelayUrl) and links through it', async () => {
    const { user, api } = await setup({ defaultRelayUrl: 'wss://relay.example.org' });
    expect(screen.getByLabelText('Relay address')).toHaveValue('wss://relay.example.org');
    await showCode(user);
    expect(api.account.linkStart).toHaveBeenCalledWith('wss://relay.example.org', strong);
  });

  it('refuses an empty relay and a mismatched confirmation before asking Go', async () => {
    const { user, api } = await setup();
    await user.clear(screen.getByLabelText('Relay address'));
    await user.type(screen.getByLabelText('Passphrase'), strong);
    await user.type(screen.getByLabelText('Confirm passphrase'), `${strong}!`);
    await user.click(screen.getByRole('button', { name: 'Show link code' }));

    const relay = screen.getByLabelText('Relay address');
    await waitFor(() => expect(relay).toHaveFocus());
    expect(relay).toHaveAccessibleDescription('Enter the relay address.');
    expect(screen.getByLabelText('Confirm passphrase')).toHaveAccessibleDescription('The passphrases do not match.');
    expect(api.account.linkStart).not.toHaveBeenCalled();
  });

  it('shows Go’s error when the session cannot be opened', async () => {
    const { user, api } = await setup();
    api.account.linkStart.mockRejectedValueOnce(new ApiError('The relay cannot be reached: connection refused.', 503));
    await user.type(screen.getByLabelText('Passphrase'), strong);
    await user.type(screen.getByLabelText('Confirm passphrase'), strong);
    await user.click(screen.getByRole('button', { name: 'Show link code' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The relay cannot be reached: connection refused.');
    expect(screen.getByRole('button', { name: 'Show link code' })).toBeEnabled();
  });
});

describe('LinkAccountScreen: the code', () => {
  it('shows the code as a QR code and as text, with a countdown and what to do', async () => {
    const { user, api } = await setup();
    const qr = await showCode(user, 'wss://relay.example.org');
    expect(api.account.linkStart).toHaveBeenCalledWith('wss://relay.example.org', strong);
    expect(qr.tagName.toLowerCase()).toBe('svg');

    const field = screen.getByRole('textbox', { name: 'Link code' });
    expect(field).toHaveValue(api.backend.linking?.code);
    expect(field).toHaveAttribute('readonly');
    expect((field as HTMLTextAreaElement).value).toMatch(/^HUSH:[A-Z2-7]+$/);
    expect(screen.getByRole('timer')).toHaveTextContent(/^Expires in (5:00|4:59)$/);
    expect(
      screen.getByText('On your other device, open Settings → Devices → Link a device, and paste this code.'),
    ).toBeInTheDocument();
  });

  it('copies the code', async () => {
    const { user, api } = await setup();
    await showCode(user);
    await user.click(screen.getByRole('button', { name: 'Copy code' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Code copied.');
    expect(await navigator.clipboard.readText()).toBe(api.backend.linking?.code);
  });

  it('Cancel tells Go and returns to the form, fields kept', async () => {
    const { user, api } = await setup();
    await showCode(user);
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.account.linkCancel).toHaveBeenCalledTimes(1);
    expect(api.backend.linking).toBeNull();
    await waitFor(() => expect(screen.getByLabelText('Relay address')).toHaveFocus());
    expect(screen.getByLabelText('Passphrase')).toHaveValue(strong);
  });

  it('leaving the screen while the code shows abandons the session', async () => {
    const { user, api, unmount } = await setup();
    await showCode(user);
    unmount();
    expect(api.account.linkCancel).toHaveBeenCalledTimes(1);
  });

  it('counts down each second, and at zero says the code expired and offers a new one', async () => {
    const { user, api } = await setup({ fakeTimers: true });
    await showCode(user);
    const timer = screen.getByRole('timer');
    const first = timer.textContent;
    await vi.advanceTimersByTimeAsync(61_000);
    expect(timer.textContent).not.toBe(first);
    expect(timer).toHaveTextContent(/^Expires in 3:5\d$/);
    expect(api.account.linkCancel).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(await screen.findByText('The code expired.')).toBeInTheDocument();
    expect(screen.queryByRole('img', { name: 'Link code as a QR code' })).not.toBeInTheDocument();
    expect(api.account.linkCancel).toHaveBeenCalledTimes(1);

    expect(api.backend.linking).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Make a new code' }));
    expect(await screen.findByRole('img', { name: 'Link code as a QR code' })).toBeInTheDocument();
    expect(api.account.linkStart).toHaveBeenCalledTimes(2);
    expect(api.account.linkStart).toHaveBeenLastCalledWith('ws://127.0.0.1:8443', strong);
    expect(screen.getByRole('textbox', { name: 'Link code' })).toHaveValue(api.backend.linking?.code);
  });
});

describe('LinkAccountScreen: progress from Go', () => {
  it('compare: shows the emoji by name and the digits, and says to confirm on the other device', async () => {
    const { user, api } = await setup();
    await showCode(user);
    api.emit('link:progress', progress({ stage: 'compare', emoji: sampleLinkCheck.emoji, digits: '123 456' }));

    const group = await screen.findByRole('group', { name: 'Code to compare' });
    const items = within(within(group).getByRole('list', { name: 'Emoji' })).getAllByRole('listitem');
    expect(items.map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '🐶 Dog',
      '🔑 Key',
      '🌵 Cactus',
      '🎈 Balloon',
      '🚲 Bicycle',
    ]);
    expect(within(group).getByText('123 456')).toBeInTheDocument();
    expect(screen.getByText('Check that your other device shows the same, and confirm there.')).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Link code' })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.account.linkCancel).toHaveBeenCalledTimes(1);
  });

  it('linked: reads Status again and opens the main window', async () => {
    const { user, api, ctx } = await setup();
    await showCode(user);
    api.backend.status = { ...api.backend.status, state: 'unlocked' };
    api.emit('link:progress', progress({ stage: 'linked' }));
    await waitFor(() => expect(ctx.session.screen).toBe('main'));
    expect(api.account.linkCancel).not.toHaveBeenCalled();
  });

  it('failed: shows Go’s reason and Start again returns to the form', async () => {
    const { user, api } = await setup();
    await showCode(user);
    api.emit('link:progress', progress({ stage: 'failed', error: 'The other device declined: the codes did not match.' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The other device declined: the codes did not match.');

    await user.click(screen.getByRole('button', { name: 'Start again' }));
    expect(await screen.findByRole('button', { name: 'Show link code' })).toBeInTheDocument();
    expect(screen.getByLabelText('Relay address')).toHaveValue('ws://127.0.0.1:8443');
  });

  it('ignores progress once cancelled here', async () => {
    const { user, api } = await setup();
    await showCode(user);
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    api.emit('link:progress', progress({ stage: 'compare', emoji: sampleLinkCheck.emoji, digits: '123 456' }));
    expect(screen.queryByRole('group', { name: 'Code to compare' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Show link code' })).toBeInTheDocument();
  });
});
