import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Settings } from '../api';
import { createFakeApi, sampleSettings } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import { LINK_PREVIEWS_TEXT, READ_RECEIPTS_TEXT, TYPING_INDICATORS_TEXT } from '../privacy';
import { createThemeController } from '../theme';
import SettingsDialog from './SettingsDialog.svelte';

function systemMedia(dark: boolean) {
  return () => ({ matches: dark, addEventListener() {}, removeEventListener() {} }) as unknown as MediaQueryList;
}

async function setup(opts: { osDark?: boolean; preload?: boolean } = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  const ctx = createTestContext({ api });
  ctx.theme = createThemeController({
    root: document.documentElement,
    matchMedia: systemMedia(opts.osDark ?? false),
  });
  ctx.session.applyStatus({ ...api.backend.status });
  if (opts.preload) ctx.settings.set({ ...api.backend.settings });
  const onclose = vi.fn();
  const user = userEvent.setup();
  const result = renderWithContext(SettingsDialog, { onclose }, ctx);
  const dialog = await screen.findByRole('dialog', { name: 'Settings' });
  await within(dialog).findByLabelText('Device name');
  return { ...result, api, user, onclose, dialog };
}

afterEach(() => {
  delete document.documentElement.dataset['theme'];
});

describe('SettingsDialog', () => {
  it('loads the settings and shows them', async () => {
    const { api } = await setup();
    expect(api.settings.get).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText('Device name')).toHaveValue('Laptop');
    expect(screen.getByText(sampleSettings.accountFingerprint)).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'System' })).toBeChecked();
    expect(screen.getByRole('combobox', { name: 'Auto-lock' })).toHaveDisplayValue('After 15 minutes');
    expect(screen.getByText('0.1.0-test')).toBeInTheDocument();
  });

  it.each([
    { name: 'Typing indicators', field: 'typingIndicators', setter: 'setTypingIndicators', text: TYPING_INDICATORS_TEXT },
    { name: 'Read receipts', field: 'readReceipts', setter: 'setReadReceipts', text: READ_RECEIPTS_TEXT },
    { name: 'Link previews', field: 'linkPreviews', setter: 'setLinkPreviews', text: LINK_PREVIEWS_TEXT },
  ] as const)('Privacy: the $name switch shows Go’s choice, says what it means, saves through Go', async (c) => {
    const { dialog, user, api } = await setup();
    const privacy = within(dialog).getByRole('region', { name: 'Privacy' });
    const sw = within(privacy).getByRole('switch', { name: c.name });
    const stored = sampleSettings[c.field];
    expect(sw).toHaveProperty('checked', stored);
    expect(sw).toHaveAccessibleDescription(stored ? c.text.on : c.text.off);
    await user.click(sw);
    expect(api.settings[c.setter]).toHaveBeenCalledWith(!stored);
    await waitFor(() => expect(sw).toHaveAccessibleDescription(stored ? c.text.off : c.text.on));
    // Refused: the switch goes back, and says why.
    api.settings[c.setter].mockRejectedValueOnce(new ApiError('The vault is locked.', 409));
    await user.click(sw);
    expect(await within(privacy).findByText(`Could not save ${c.name.toLowerCase()}: The vault is locked.`)).toBeInTheDocument();
    expect(sw).toHaveProperty('checked', !stored);
  });

  it('explains read receipts as they work: both ways, on all devices, not in secret chats', () => {
    expect(READ_RECEIPTS_TEXT.on).toContain("If you turn off read receipts, you won't be able to see read receipts from others.");
    for (const text of [READ_RECEIPTS_TEXT.on, READ_RECEIPTS_TEXT.off]) {
      expect(text).toContain('This applies on all your devices.');
      expect(text).toContain('Secret chats always send and show read receipts');
    }
  });

  it('offers exactly the auto-lock values Go accepts', async () => {
    await setup();
    const options = within(screen.getByRole('combobox', { name: 'Auto-lock' })).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([
      'Never',
      'After 1 minute',
      'After 5 minutes',
      'After 15 minutes',
      'After 30 minutes',
      'After 1 hour',
      'After 4 hours',
    ]);
    expect(options.map((o) => (o as HTMLOptionElement).value)).toEqual(['0', '1', '5', '15', '30', '60', '240']);
  });

  describe('theme', () => {
    it('applies a choice to <html> at once, before Go answers', async () => {
      const { user, api } = await setup({ preload: true });
      let answer!: (s: Settings) => void;
      api.settings.setTheme.mockImplementationOnce(() => new Promise<Settings>((r) => (answer = r)));

      await user.click(screen.getByRole('radio', { name: 'Dark' }));
      expect(document.documentElement.dataset['theme']).toBe('dark');
      expect(api.settings.setTheme).toHaveBeenCalledWith('dark');

      answer({ ...sampleSettings, theme: 'dark' });
      await waitFor(() => expect(screen.getByRole('radio', { name: 'Dark' })).toBeChecked());

      await user.click(screen.getByRole('radio', { name: 'Light' }));
      expect(document.documentElement.dataset['theme']).toBe('light');
      await waitFor(() => expect(api.backend.settings.theme).toBe('light'));
    });

    it('follows prefers-color-scheme when System is chosen', async () => {
      const { user } = await setup({ osDark: true, preload: true });
      await user.click(screen.getByRole('radio', { name: 'Light' }));
      expect(document.documentElement.dataset['theme']).toBe('light');
      await user.click(screen.getByRole('radio', { name: 'System' }));
      expect(document.documentElement.dataset['theme']).toBe('dark');
    });

    it('puts the old theme back if Go refuses', async () => {
      const { user, api } = await setup({ preload: true });
      api.settings.setTheme.mockRejectedValueOnce(new ApiError('vault is locked'));
      await user.click(screen.getByRole('radio', { name: 'Dark' }));
      expect(await screen.findByRole('alert')).toHaveTextContent('Could not save the theme: vault is locked');
      expect(document.documentElement.dataset['theme']).toBe('light');
    });
  });

  it('saves auto-lock', async () => {
    const { user, api } = await setup();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Auto-lock' }), 'After 1 hour');
    expect(api.settings.setAutoLock).toHaveBeenCalledWith(60);
    expect(await screen.findByRole('status')).toHaveTextContent('Auto-lock saved.');
    expect(api.backend.settings.autoLockMinutes).toBe(60);
  });

  it('saves the device name and refuses an empty one', async () => {
    const { user, api } = await setup();
    const field = screen.getByLabelText('Device name');
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled(); // nothing changed yet

    await user.clear(field);
    await user.type(field, '   ');
    await user.click(save);
    expect(field).toHaveAccessibleDescription('Enter a name for this device.');
    expect(api.settings.setDeviceName).not.toHaveBeenCalled();

    await user.clear(field);
    await user.type(field, '  Desk PC {enter}');
    await waitFor(() => expect(api.settings.setDeviceName).toHaveBeenCalledWith('Desk PC'));
    expect(await screen.findByText('Device name saved.')).toBeInTheDocument();
    expect(screen.getByText('This device: Desk PC')).toBeInTheDocument();
  });

  it('saves the display name, checking Go’s length rule and showing Go’s error', async () => {
    const { user, api, ctx } = await setup();
    const field = screen.getByRole('textbox', { name: 'Display name' });
    expect(field).toHaveValue('Ada');
    const save = screen.getByRole('button', { name: 'Save display name' });
    expect(save).toBeDisabled();

    await user.clear(field);
    await user.click(save);
    expect(field).toHaveAccessibleDescription('Enter your name.');
    // Longer than RULES.maxNameLength: the field stops at the limit, a paste is checked again.
    field.removeAttribute('maxlength');
    await user.type(field, 'x'.repeat(65));
    await user.click(save);
    expect(field).toHaveAccessibleDescription('Use at most 64 characters.');
    expect(api.settings.setDisplayName).not.toHaveBeenCalled();

    api.settings.setDisplayName.mockRejectedValueOnce(new ApiError('Invalid input: a name is one line.', 422));
    await user.clear(field);
    await user.type(field, 'Ada L.{enter}');
    expect(await screen.findByText('Invalid input: a name is one line.')).toBeInTheDocument();
    expect(field).toHaveAttribute('aria-invalid', 'true');

    await user.click(save);
    await waitFor(() => expect(api.settings.setDisplayName).toHaveBeenLastCalledWith('Ada L.'));
    expect(await screen.findByText('Name saved.')).toBeInTheDocument();
    expect(field).not.toHaveAttribute('aria-invalid');
    expect(ctx.settings.value?.displayName).toBe('Ada L.');
    expect(within(screen.getByRole('dialog', { name: 'Settings' })).getAllByText('Ada L.').length).toBeGreaterThan(0);
  });

  it('shows a display name changed on another device (settings:changed), unless it is being edited', async () => {
    const { user, ctx } = await setup({ preload: true });
    const field = screen.getByRole('textbox', { name: 'Display name' });
    ctx.settings.set({ ...ctx.settings.value!, displayName: 'Ada Lovelace' });
    await waitFor(() => expect(field).toHaveValue('Ada Lovelace'));
    expect(screen.getByText('Ada Lovelace', { selector: 'p' })).toBeInTheDocument();

    await user.clear(field);
    await user.type(field, 'Countess');
    ctx.settings.set({ ...ctx.settings.value!, displayName: 'A. Lovelace' });
    await waitFor(() => expect(screen.getByText('A. Lovelace', { selector: 'p' })).toBeInTheDocument());
    expect(field).toHaveValue('Countess');
  });

  it('copies the account key fingerprint', async () => {
    // user-event installs an in-memory clipboard on navigator.
    const { user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Copy account key fingerprint' }));
    expect(await screen.findByText('Fingerprint copied.')).toBeInTheDocument();
    await expect(navigator.clipboard.readText()).resolves.toBe(sampleSettings.accountFingerprint);
  });

  it('closes on Escape and on the Close button', async () => {
    const { user, onclose } = await setup();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(onclose).toHaveBeenCalledTimes(2);
  });

  it('keeps Tab inside the dialog', async () => {
    const { user, dialog } = await setup();
    const close = within(dialog).getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus(); // the first control gets focus on open
    await user.tab({ shift: true });
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    expect(document.activeElement).not.toBe(close);
    await user.tab();
    expect(close).toHaveFocus();
  });

  it('locks the vault from “Lock now”', async () => {
    const { user, api, ctx } = await setup();
    ctx.session.applyStatus({ ...api.backend.status });
    await user.click(screen.getByRole('button', { name: 'Lock now' }));
    await waitFor(() => expect(ctx.session.screen).toBe('unlock'));
    expect(api.account.lock).toHaveBeenCalledTimes(1);
    expect(ctx.settings.value).toBeNull();
  });

  it('opens “Change passphrase…” as a nested dialog and reports success', async () => {
    const { user, api } = await setup();
    await user.click(screen.getByRole('button', { name: 'Change passphrase…' }));
    const inner = await screen.findByRole('dialog', { name: 'Change passphrase' });
    await user.type(within(inner).getByLabelText('Current passphrase'), api.backend.passphrase);
    await user.type(within(inner).getByLabelText('New passphrase'), 'velvet orbit quartz lantern 93');
    await user.type(within(inner).getByLabelText('Confirm new passphrase'), 'velvet orbit quartz lantern 93');
    await user.click(within(inner).getByRole('button', { name: 'Change passphrase' }));

    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Change passphrase' })).not.toBeInTheDocument());
    expect(screen.getByText('Passphrase changed.')).toBeInTheDocument();
    expect(api.backend.passphrase).toBe('velvet orbit quartz lantern 93');
    // Focus goes back to the button that opened it.
    expect(screen.getByRole('button', { name: 'Change passphrase…' })).toHaveFocus();
  });

  it('closes only the nested dialog on Escape', async () => {
    const { user, onclose } = await setup();
    await user.click(screen.getByRole('button', { name: 'Change passphrase…' }));
    await screen.findByRole('dialog', { name: 'Change passphrase' });
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Change passphrase' })).not.toBeInTheDocument());
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeInTheDocument();
  });
});

describe('SettingsDialog copy fallback', () => {
  it('selects the fingerprint when no clipboard is available', async () => {
    const { user } = await setup({ preload: true });
    // Replace user-event's clipboard with one that refuses, as some webviews do.
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) },
    });
    await user.click(screen.getByRole('button', { name: 'Copy account key fingerprint' }));
    expect(await screen.findByText(/the fingerprint is selected/)).toBeInTheDocument();
    expect(window.getSelection()?.toString()).toBe(sampleSettings.accountFingerprint);
  });
});

describe('SettingsDialog notifications', () => {
  it('shows the choices Go holds and saves each change', async () => {
    const { user, api } = await setup();
    const notify = screen.getByRole('switch', { name: 'Notify me of new messages' });
    const preview = screen.getByRole('switch', { name: 'Show message text in notifications' });
    expect(notify).toBeChecked();
    expect(preview).not.toBeChecked();
    expect(preview).toBeEnabled();
    expect(preview).toHaveAccessibleDescription('Notifications name the sender, never the text.');

    await user.click(preview);
    expect(api.settings.setNotifications).toHaveBeenLastCalledWith(true, true);
    await waitFor(() => expect(api.backend.settings.notificationPreview).toBe(true));
    expect(preview).toBeChecked();
    expect(preview).toHaveAccessibleDescription(expect.stringContaining('what they wrote'));

    // Off: the preview switch is off too, and cannot be turned on.
    await user.click(notify);
    expect(api.settings.setNotifications).toHaveBeenLastCalledWith(false, false);
    await waitFor(() => expect(api.backend.settings.notifications).toBe(false));
    expect(notify).not.toBeChecked();
    expect(preview).not.toBeChecked();
    expect(preview).toBeDisabled();
    expect(screen.getByText('Hush does not notify you of new messages.')).toBeInTheDocument();

    // Back on: sender only, as before the preview was chosen.
    await user.click(notify);
    expect(api.settings.setNotifications).toHaveBeenLastCalledWith(true, false);
    await waitFor(() => expect(preview).toBeEnabled());
    expect(preview).not.toBeChecked();
  });

  it('puts a switch back and says why when Go refuses', async () => {
    const { user, api } = await setup();
    api.settings.setNotifications.mockRejectedValueOnce(new ApiError('vault is locked'));
    const notify = screen.getByRole('switch', { name: 'Notify me of new messages' });
    await user.click(notify);
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not save notifications: vault is locked');
    expect(notify).toBeChecked();
  });

  it('follows settings:changed from another window', async () => {
    const { ctx } = await setup();
    ctx.settings.set({ ...sampleSettings, notifications: true, notificationPreview: true });
    await waitFor(() =>
      expect(screen.getByRole('switch', { name: 'Show message text in notifications' })).toBeChecked(),
    );
  });

  it('asks the browser for permission with an explicit button (browser mode)', async () => {
    let permission: NotificationPermission = 'default';
    const requestPermission = vi.fn(async () => (permission = 'granted'));
    vi.stubGlobal('Notification', {
      get permission() {
        return permission;
      },
      requestPermission,
    });
    const { user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Show notifications…' }));
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(await screen.findByText("This browser shows Hush's notifications.")).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Show notifications…' })).not.toBeInTheDocument();
  });

  it('does not ask for the browser’s permission while notifications are off', async () => {
    vi.stubGlobal('Notification', { permission: 'default', requestPermission: vi.fn() });
    const api = createFakeApi({ state: 'unlocked' });
    api.backend.settings = { ...api.backend.settings, notifications: false };
    const ctx = createTestContext({ api });
    renderWithContext(SettingsDialog, { onclose: vi.fn() }, ctx);
    await screen.findByRole('switch', { name: 'Notify me of new messages' });
    expect(screen.queryByRole('button', { name: 'Show notifications…' })).not.toBeInTheDocument();
  });

  it('has no browser permission button in the desktop window, where Go notifies', async () => {
    vi.stubGlobal('Notification', { permission: 'default', requestPermission: vi.fn() });
    const api = { ...createFakeApi({ state: 'unlocked' }), mode: 'wails' as const };
    renderWithContext(SettingsDialog, { onclose: vi.fn() }, createTestContext({ api }));
    expect(await screen.findByRole('switch', { name: 'Notify me of new messages' })).toBeChecked();
    expect(screen.queryByRole('button', { name: 'Show notifications…' })).not.toBeInTheDocument();
  });
});
