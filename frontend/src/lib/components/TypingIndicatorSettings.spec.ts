import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../api';
import { ApiError } from '../api';
import { createFakeApi, sampleSettings } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import TypingIndicatorSettings from './TypingIndicatorSettings.svelte';

function setup(over: Partial<Settings> = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.settings = { ...sampleSettings, ...over };
  const ctx = createTestContext({ api });
  renderWithContext(TypingIndicatorSettings, { settings: api.backend.settings }, ctx);
  return { api, ctx, user: userEvent.setup() };
}

describe('TypingIndicatorSettings', () => {
  it('shows the stored choice and saves a change through Go', async () => {
    const { api, ctx, user } = setup({ typingIndicators: true });
    const sw = screen.getByRole('switch', { name: 'Typing indicators' });
    expect(sw).toBeChecked();
    expect(sw).toHaveAccessibleDescription('Others see when you are typing, and you see when they are.');
    await user.click(sw);
    expect(api.settings.setTypingIndicators).toHaveBeenCalledWith(false);
    await waitFor(() => expect(ctx.settings.value?.typingIndicators).toBe(false));
    expect(sw).not.toBeChecked();
    expect(sw).toHaveAccessibleDescription('Others do not see when you are typing, and you do not see when they are.');
  });

  it('puts the switch back and says why when Go refuses', async () => {
    const { api, user } = setup({ typingIndicators: false });
    api.settings.setTypingIndicators.mockRejectedValueOnce(new ApiError('The vault is locked.', 409));
    const sw = screen.getByRole('switch', { name: 'Typing indicators' });
    await user.click(sw);
    expect(await screen.findByText('Could not save typing indicators: The vault is locked.')).toBeInTheDocument();
    expect(sw).not.toBeChecked();
  });
});
