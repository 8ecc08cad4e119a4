// Screen capture protection as the UI shows it: the note in a secret chat's
// bar, and the switch in Settings → Privacy, for each ProtectionSupport.

import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ProtectionSupport, Settings } from '../api';
import { createFakeApi, sampleSettings } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import ScreenCaptureNote from './ScreenCaptureNote.svelte';
import ScreenProtectionSettings from './ScreenProtectionSettings.svelte';

describe('ScreenCaptureNote', () => {
  it.each<[ProtectionSupport, boolean, string]>([
    ['unavailable', true, 'Screen capture protection is not available on this system'],
    ['always', false, 'Hidden from screen capture'],
    ['switchable', true, 'Hidden from screen capture'],
    ['switchable', false, ''],
  ])('support %s, wanted %s: %j', (screenProtectionSupport, screenProtection, text) => {
    const { container } = render(ScreenCaptureNote, { settings: { screenProtection, screenProtectionSupport } });
    expect(container).toHaveTextContent(text, { normalizeWhitespace: true });
    if (text === '') expect(container.textContent?.trim()).toBe('');
  });
});

function setup(over: Partial<Settings>) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.settings = { ...sampleSettings, ...over };
  const ctx = createTestContext({ api });
  renderWithContext(ScreenProtectionSettings, { settings: api.backend.settings }, ctx);
  return { api, ctx, user: userEvent.setup() };
}

const NAME = 'Hide Hush from screen capture while a secret chat is open';

describe('ScreenProtectionSettings', () => {
  it('lets the user choose where the system allows it (Windows)', async () => {
    const { api, ctx, user } = setup({ screenProtectionSupport: 'switchable', screenProtection: true });
    const sw = screen.getByRole('switch', { name: NAME });
    expect(sw).toBeChecked();
    expect(sw).toBeEnabled();
    await user.click(sw);
    expect(api.settings.setScreenProtection).toHaveBeenCalledWith(false);
    await waitFor(() => expect(ctx.settings.value?.screenProtection).toBe(false));
    expect(sw).not.toBeChecked();
    expect(sw).toHaveAccessibleDescription('Screenshots and screen sharing can show secret chats.');
  });

  it('shows macOS’s protection as always on, and cannot be changed', () => {
    setup({ screenProtectionSupport: 'always', screenProtection: false });
    const sw = screen.getByRole('switch', { name: NAME });
    expect(sw).toBeChecked();
    expect(sw).toBeDisabled();
    expect(sw).toHaveAccessibleDescription('macOS: always hidden from screen capture.');
  });

  it('says where it is not available (Linux, browser mode)', () => {
    setup({ screenProtectionSupport: 'unavailable', screenProtection: true });
    const sw = screen.getByRole('switch', { name: NAME });
    expect(sw).not.toBeChecked();
    expect(sw).toBeDisabled();
    expect(sw).toHaveAccessibleDescription('Screen capture protection is not available on this system.');
  });
});
