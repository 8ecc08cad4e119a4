import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ApiError, RULES } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MessagingSettings from './MessagingSettings.svelte';

async function setup(handle = '') {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.connection = { ...api.backend.connection, handle };
  const messenger = new Messenger(api, attentiveEnv());
  await messenger.loadConnection();
  renderWithContext(MessagingSettings, { messenger }, createTestContext({ api }), messenger);
  return { api, messenger, user: userEvent.setup() };
}

describe('MessagingSettings', () => {
  it('leaves the relay address to Go and shows its reason under the field', async () => {
    const { api, user } = await setup();
    // Go's wording for this address (app TestSetRelayWording).
    const why = 'The relay address is not valid: "localhost:8443" has no scheme; use ws://host:port or wss://host.';
    api.connection.setRelay.mockRejectedValueOnce(new ApiError(why, 422));
    const field = screen.getByLabelText('Relay address');
    await user.clear(field);
    await user.type(field, 'localhost:8443');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(api.connection.setRelay).toHaveBeenCalledWith('localhost:8443');
    await waitFor(() => expect(field).toHaveAccessibleDescription(why));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByText('Relay saved.')).not.toBeInTheDocument();

    // A good address clears the error and says so.
    await user.clear(field);
    await user.type(field, ' wss://relay.example.org ');
    await user.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Relay saved.')).toBeInTheDocument();
    expect(api.connection.setRelay).toHaveBeenLastCalledWith('wss://relay.example.org');
    expect(field).not.toHaveAttribute('aria-invalid', 'true');
  });

  it('checks a username as it is typed with Go’s rules, and says them', async () => {
    const { api, user } = await setup();
    expect(
      screen.getByText(
        `Choose a username so people can find you: ${RULES.handleMinLength}–${RULES.handleMaxLength} letters, digits or _.`,
      ),
    ).toBeInTheDocument();
    const field = screen.getByLabelText('Your username');
    await user.type(field, 'x'.repeat(RULES.handleMaxLength + 1));
    await user.click(screen.getByRole('button', { name: 'Register' }));
    expect(field).toHaveAccessibleDescription(
      `A username has ${RULES.handleMinLength} to ${RULES.handleMaxLength} characters.`,
    );
    expect(api.contacts.registerHandle).not.toHaveBeenCalled();
    await user.clear(field);
    await user.type(field, '@Ada_1');
    await user.click(screen.getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(api.contacts.registerHandle).toHaveBeenCalledWith('ada_1'));
  });

  it('changes the username: the new one replaces it, Cancel keeps it', async () => {
    const { api, user } = await setup('ada');
    expect(screen.getByText('@ada')).toBeInTheDocument();
    expect(screen.queryByLabelText('New username')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Change username' }));
    await user.type(screen.getByLabelText('New username'), 'x');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByLabelText('New username')).not.toBeInTheDocument();
    expect(api.contacts.registerHandle).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Change username' }));
    await user.type(screen.getByLabelText('New username'), '@Ada_L');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.contacts.registerHandle).toHaveBeenCalledWith('ada_l'));
    expect(await screen.findByText('@ada_l')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Username changed.');
  });

  it('removes the username after asking, and offers to choose one again', async () => {
    const { api, user } = await setup('ada');
    await user.click(screen.getByRole('button', { name: 'Remove username' }));
    const dialog = await screen.findByRole('dialog', { name: 'Remove username' });
    expect(dialog).toHaveTextContent('People will no longer find you by @ada');
    expect(api.contacts.removeHandle).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(api.contacts.removeHandle).toHaveBeenCalledTimes(1));
    expect(await screen.findByLabelText('Your username')).toBeInTheDocument();
    expect(screen.queryByText('@ada')).not.toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Username removed.');
  });

  it('keeps the username and shows Go’s reason when the removal fails', async () => {
    const { api, user } = await setup('ada');
    api.contacts.removeHandle.mockRejectedValueOnce(new ApiError('You are offline.', 503));
    await user.click(screen.getByRole('button', { name: 'Remove username' }));
    await user.click(await screen.findByRole('button', { name: 'Remove' }));
    expect(await screen.findByText('You are offline.')).toBeInTheDocument();
    expect(screen.getByText('@ada', { exact: true })).toBeInTheDocument();
  });
});
