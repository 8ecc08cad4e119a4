import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../api';
import { ApiError } from '../api';
import { createFakeApi, sampleSettings } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import ReadReceiptSettings from './ReadReceiptSettings.svelte';

function setup(over: Partial<Settings> = {}) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.settings = { ...sampleSettings, ...over };
  const ctx = createTestContext({ api });
  renderWithContext(ReadReceiptSettings, { settings: api.backend.settings }, ctx);
  return { api, ctx, user: userEvent.setup() };
}

describe('ReadReceiptSettings', () => {
  it('shows the stored choice, explains it and saves a change through Go', async () => {
    const { api, ctx, user } = setup({ readReceipts: true });
    const sw = screen.getByRole('switch', { name: 'Read receipts' });
    expect(sw).toBeChecked();
    expect(sw).toHaveAccessibleDescription(
      /^Others see when you have read their messages\. If you turn off read receipts, you won't be able to see read receipts from others\./,
    );
    expect(sw).toHaveAccessibleDescription(/Secret chats always send and show read receipts/);
    await user.click(sw);
    expect(api.settings.setReadReceipts).toHaveBeenCalledWith(false);
    await waitFor(() => expect(ctx.settings.value?.readReceipts).toBe(false));
    expect(sw).not.toBeChecked();
    expect(sw).toHaveAccessibleDescription(
      /^Others do not see when you have read their messages, and you do not see when they have read yours\./,
    );
  });

  it('puts the switch back and says why when Go refuses', async () => {
    const { api, user } = setup({ readReceipts: false });
    api.settings.setReadReceipts.mockRejectedValueOnce(new ApiError('The vault is locked.', 409));
    const sw = screen.getByRole('switch', { name: 'Read receipts' });
    await user.click(sw);
    expect(await screen.findByText('Could not save read receipts: The vault is locked.')).toBeInTheDocument();
    expect(sw).not.toBeChecked();
  });
});
