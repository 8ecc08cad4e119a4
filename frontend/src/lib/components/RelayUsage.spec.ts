import { screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { ApiError, type Connection, type RelayUsage as Usage } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import RelayUsage from './RelayUsage.svelte';

async function setup(usage: Partial<Usage> = {}, state: Connection['state'] = 'online') {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.usage = { ...api.backend.usage, ...usage };
  api.backend.connection = { ...api.backend.connection, state };
  const messenger = new Messenger(api, attentiveEnv());
  await messenger.loadConnection();
  renderWithContext(RelayUsage, { messenger }, createTestContext({ api }), messenger);
  return { api, messenger };
}

describe('RelayUsage', () => {
  it('shows what the relay stores against the quota, as text and as a named meter', async () => {
    const { api } = await setup({ usedBytes: 3 << 20, quotaBytes: 1 << 30, devices: 2, maxDevices: 32 });
    expect(await screen.findByText('Storage on the relay: 3 MB of 1 GB used')).toBeInTheDocument();
    const meter = screen.getByRole('meter', { name: 'Storage on the relay: 3 MB of 1 GB used' });
    expect(meter).toHaveAttribute('max', String(1 << 30));
    expect(meter).toHaveAttribute('value', String(3 << 20));
    expect(meter).toHaveAttribute('aria-valuetext', '3 MB of 1 GB used');
    expect(screen.getByText('Devices: 2 of 32')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(api.connection.usage).toHaveBeenCalledTimes(1);
  });

  it('shows the files apart from the messages, and when their storage is full', async () => {
    await setup({ filesUsedBytes: 5 << 20, filesQuotaBytes: 2 * 2 ** 30 });
    const files = await screen.findByRole('meter', { name: 'Files on the relay: 5 MB of 2 GB used' });
    expect(files).toHaveAttribute('max', String(2 * 2 ** 30));
    expect(screen.getAllByRole('meter')).toHaveLength(2);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says when the files storage is full, and that messages still go out', async () => {
    await setup({ filesUsedBytes: 2 * 2 ** 30, filesQuotaBytes: 2 * 2 ** 30 });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^The relay's storage for your files is full\. .* messages still go out\.$/);
    expect(screen.getByText('Storage on the relay: 3 MB of 1 GB used')).toBeInTheDocument();
  });

  it('says when the relay keeps no files', async () => {
    await setup({ filesUsedBytes: 0, filesQuotaBytes: 0 });
    expect(await screen.findByText(/^This relay does not keep files/)).toBeInTheDocument();
    expect(screen.getAllByRole('meter')).toHaveLength(1);
  });

  it('says when the storage is full, and that messages wait rather than being lost', async () => {
    await setup({ usedBytes: 10_300, quotaBytes: 10_240 });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^The relay's storage for your account is full\. New messages wait here as pending/);
    // Over the quota (lowered by the operator), the meter stays at its end.
    expect(screen.getByRole('meter', { name: /^Storage on the relay/ })).toHaveAttribute('value', '10240');
    expect(screen.getByText('Storage on the relay: 10 KB of 10 KB used')).toBeInTheDocument();
  });

  it('asks again when the link comes back online, and shows Go’s reason when it cannot', async () => {
    const { api, messenger } = await setup({}, 'offline');
    expect(screen.getByText('Storage on the relay: unknown while offline')).toBeInTheDocument();
    expect(screen.queryByRole('meter')).not.toBeInTheDocument();
    expect(api.connection.usage).not.toHaveBeenCalled();

    const offline = 'You are offline: the relay cannot be reached. Try again when Hush is connected.';
    api.connection.usage.mockRejectedValueOnce(new ApiError(offline, 503));
    messenger.connection.set({ ...api.backend.connection, state: 'online' });
    expect(await screen.findByText(offline)).toBeInTheDocument();
    expect(screen.getByText('Storage on the relay: unknown')).toBeInTheDocument();

    messenger.connection.set({ ...api.backend.connection, state: 'offline' });
    flushSync();
    messenger.connection.set({ ...api.backend.connection, state: 'online' });
    expect(await screen.findByText('Storage on the relay: 3 MB of 1 GB used')).toBeInTheDocument();
    expect(screen.queryByText(offline)).not.toBeInTheDocument();
    expect(api.connection.usage).toHaveBeenCalledTimes(2);
  });
});
