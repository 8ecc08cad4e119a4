import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RULES } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import NewGroupDialog from './NewGroupDialog.svelte';

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const messenger = new Messenger(api, attentiveEnv());
  const onclose = vi.fn();
  renderWithContext(NewGroupDialog, { kind: 'group' as const, onclose }, createTestContext({ api }), messenger);
  return { api, messenger, onclose, user: userEvent.setup() };
}

describe('NewGroupDialog', () => {
  it('refuses a title over Go’s limit in bytes, and takes one at the limit', async () => {
    const { api, messenger, onclose, user } = setup();
    const field = screen.getByLabelText('Group name');
    // Two bytes per letter: half the limit in letters is exactly the limit.
    const atLimit = 'é'.repeat(RULES.maxTitleBytes / 2);
    await user.type(field, `${atLimit}x`);
    await user.click(screen.getByRole('button', { name: 'Create group' }));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(expect.stringContaining('The name is too long'));
    expect(api.chats.createGroup).not.toHaveBeenCalled();

    await user.clear(field);
    await user.type(field, atLimit);
    await user.click(screen.getByRole('button', { name: 'Create group' }));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(api.chats.createGroup).toHaveBeenCalledWith(atLimit, []);
    expect(messenger.selected?.title).toBe(atLimit);
  });
});
