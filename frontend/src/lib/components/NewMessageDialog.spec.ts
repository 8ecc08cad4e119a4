import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Messenger } from '../messenger.svelte';
import { createFakeApi, sampleContact } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import NewMessageDialog from './NewMessageDialog.svelte';

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const bob = sampleContact('bob', { displayName: 'Bob Builder' });
  api.backend.directory.set('bob', bob);
  const messenger = new Messenger(api, attentiveEnv());
  const onclose = vi.fn();
  renderWithContext(NewMessageDialog, { onclose }, createTestContext({ api }), messenger);
  return { api, messenger, onclose, bob, user: userEvent.setup() };
}

describe('NewMessageDialog', () => {
  it('adds @handle as a contact and opens the direct chat', async () => {
    const { api, messenger, onclose, bob, user } = setup();
    const dialog = screen.getByRole('dialog', { name: 'New message' });
    const field = screen.getByLabelText('Username');
    expect(field).toHaveFocus();
    await user.type(field, '@Bob{Enter}');
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(api.contacts.add).toHaveBeenCalledWith('bob');
    expect(api.chats.openDirect).toHaveBeenCalledWith(bob.accountId);
    expect(messenger.selected?.title).toBe('Bob Builder');
    expect(messenger.contacts.get(bob.accountId)).toBeDefined();
    expect(dialog).toBeInTheDocument();
  });

  it('shows Go’s error for an unknown handle in the dialog and stays open', async () => {
    const { api, onclose, user } = setup();
    const field = screen.getByLabelText('Username');
    await user.type(field, '@nobody');
    await user.click(screen.getByRole('button', { name: 'Start chat' }));
    await waitFor(() => expect(field).toHaveAccessibleDescription('No one is called @nobody.'));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(api.chats.openDirect).not.toHaveBeenCalled();
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog', { name: 'New message' })).toBeInTheDocument();
  });

  it('refuses a malformed handle before asking Go', async () => {
    const { api, user } = setup();
    await user.type(screen.getByLabelText('Username'), 'no spaces please{Enter}');
    expect(await screen.findByText('A username may hold only letters a–z, digits and _.')).toBeInTheDocument();
    expect(api.contacts.add).not.toHaveBeenCalled();
  });

  it('closes on Escape', async () => {
    const { onclose, user } = setup();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalled();
  });
});
