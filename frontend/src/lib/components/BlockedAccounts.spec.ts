import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi, sampleContact } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import BlockedAccounts from './BlockedAccounts.svelte';

const DAY = 24 * 60 * 60 * 1000;

function setup(blocked: { name: string; at: number }[] = []) {
  const api = createFakeApi({ state: 'unlocked' });
  for (const b of blocked) {
    const c = sampleContact(b.name.toLowerCase(), { displayName: b.name });
    api.backend.contacts.set(c.accountId, c);
    api.backend.blocked.set(c.accountId, b.at);
  }
  const messenger = new Messenger(api, attentiveEnv());
  renderWithContext(BlockedAccounts, { messenger }, createTestContext({ api }), messenger);
  return { api, user: userEvent.setup() };
}

describe('BlockedAccounts', () => {
  it('says when no one is blocked', async () => {
    setup();
    expect(await screen.findByText('You have blocked no one.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Unblock/ })).not.toBeInTheDocument();
  });

  it('lists whom Go says is blocked, the most recent first, with when', async () => {
    const now = Date.now();
    setup([
      { name: 'Mallory', at: now - 3 * DAY },
      { name: 'Eve', at: now },
    ]);
    const list = await screen.findByRole('list', { name: 'Blocked accounts' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.querySelector('.name')?.textContent)).toEqual(['Eve', 'Mallory']);
    expect(within(items[0]!).getByText('Blocked today')).toBeInTheDocument();
    expect(within(items[1]!).getByText(/^Blocked on /)).toBeInTheDocument();
    expect(within(items[1]!).getByRole('button', { name: 'Unblock Mallory' })).toBeEnabled();
  });

  it('unblocks one account through Go and says so', async () => {
    const { api, user } = setup([
      { name: 'Mallory', at: Date.now() - DAY },
      { name: 'Eve', at: Date.now() },
    ]);
    await user.click(await screen.findByRole('button', { name: 'Unblock Mallory' }));
    const mallory = [...api.backend.contacts.values()].find((c) => c.displayName === 'Mallory')!;
    expect(api.contacts.setBlocked).toHaveBeenCalledWith(mallory.accountId, false);
    expect(await screen.findByRole('status')).toHaveTextContent('Mallory is unblocked.');
    expect(screen.queryByRole('button', { name: 'Unblock Mallory' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Unblock Eve' })).toBeInTheDocument();
    expect(api.backend.blocked.has(mallory.accountId)).toBe(false);
  });

  it('keeps the account listed and shows Go’s words when unblocking fails', async () => {
    const { api, user } = setup([{ name: 'Mallory', at: Date.now() }]);
    api.contacts.setBlocked.mockRejectedValueOnce(new ApiError('Hush is locked. Unlock it first.', 409));
    await user.click(await screen.findByRole('button', { name: 'Unblock Mallory' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Hush is locked. Unlock it first.');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Unblock Mallory' })).toBeEnabled());
  });

  it('shows Go’s words when the list cannot be read', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    api.contacts.blocked.mockRejectedValueOnce(new ApiError('Hush is locked. Unlock it first.', 409));
    const messenger = new Messenger(api, attentiveEnv());
    renderWithContext(BlockedAccounts, { messenger }, createTestContext({ api }), messenger);
    expect(await screen.findByRole('alert')).toHaveTextContent('Hush is locked. Unlock it first.');
    expect(screen.queryByText('Loading…')).not.toBeInTheDocument();
  });
});
