import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../api';
import { ApiError } from '../api';
import { createFakeApi, sampleSettings } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import PrivacySwitch, { type PrivacySetting } from './PrivacySwitch.svelte';

function setup(setting: PrivacySetting, over: Partial<Settings> = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.settings = { ...sampleSettings, ...over };
  const ctx = createTestContext({ api });
  renderWithContext(PrivacySwitch, { settings: api.backend.settings, setting }, ctx);
  return { api, ctx, user: userEvent.setup() };
}

const cases = [
  {
    setting: 'typingIndicators',
    name: 'Typing indicators',
    setter: 'setTypingIndicators',
    on: /^Others see when you are typing, and you see when they are\.$/,
    off: /^Others do not see when you are typing, and you do not see when they are\.$/,
  },
  {
    setting: 'readReceipts',
    name: 'Read receipts',
    setter: 'setReadReceipts',
    on: /^Others see when you have read their messages\. If you turn off read receipts, you won't be able to see read receipts from others\. This applies on all your devices\. Secret chats always send and show read receipts: their self-destruct timers start when a message is read\.$/,
    off: /^Others do not see when you have read their messages, and you do not see when they have read yours\. This applies on all your devices\. Secret chats always send/,
  },
] as const;

describe.each(cases)('PrivacySwitch $name', ({ setting, name, setter, on, off }) => {
  it('shows the stored choice, explains it and saves a change through Go', async () => {
    const { api, ctx, user } = setup(setting, { [setting]: true });
    const sw = screen.getByRole('switch', { name });
    expect(sw).toBeChecked();
    expect(sw).toHaveAccessibleDescription(on);
    await user.click(sw);
    expect(api.settings[setter]).toHaveBeenCalledWith(false);
    await waitFor(() => expect(ctx.settings.value?.[setting]).toBe(false));
    expect(sw).not.toBeChecked();
    expect(sw).toHaveAccessibleDescription(off);
  });

  it('puts the switch back and says why when Go refuses', async () => {
    const { api, user } = setup(setting, { [setting]: false });
    api.settings[setter].mockRejectedValueOnce(new ApiError('The vault is locked.', 409));
    const sw = screen.getByRole('switch', { name });
    await user.click(sw);
    expect(await screen.findByText(`Could not save ${name.toLowerCase()}: The vault is locked.`)).toBeInTheDocument();
    expect(sw).not.toBeChecked();
  });
});
