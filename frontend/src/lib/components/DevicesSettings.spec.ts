import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ApiError, type Device } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import DevicesSettings from './DevicesSettings.svelte';

const DAY = 24 * 60 * 60 * 1000;
const THIS = 'd'.repeat(32);
const PHONE = 'f'.repeat(32);

function setup(extra: Partial<Device>[] = []) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.devices = [
    { id: THIS, name: 'Work laptop', platform: 'linux', linkedAt: Date.now() - 3 * DAY, this: true, lastSeen: Date.now() },
    ...extra.map((d, i) => ({
      id: i === 0 ? PHONE : `${i}`.repeat(32),
      name: '',
      platform: 'windows',
      linkedAt: Date.now(),
      this: false,
      lastSeen: 0,
      ...d,
    })),
  ];
  const messenger = new Messenger(api, attentiveEnv());
  renderWithContext(DevicesSettings, { messenger }, createTestContext({ api }), messenger);
  return { api, user: userEvent.setup() };
}

async function items() {
  const list = await screen.findByRole('list', { name: 'Devices' });
  return within(list).getAllByRole('listitem');
}

describe('DevicesSettings', () => {
  it('says when the relay last saw a device today', async () => {
    const at = new Date();
    at.setHours(0, 5, 0, 0);
    setup([{ name: 'Desk', lastSeen: at.getTime() }]);
    const [, desk] = await items();
    expect(within(desk!).getByText(/^Last seen today at \d\d:05/)).toBeInTheDocument();
  });

  it('lists the devices Go names: name, platform, when linked, and which is this one', async () => {
    setup([
      { name: 'Desk', platform: 'windows', lastSeen: Date.now() - 2 * DAY },
      { name: '', platform: 'browser', lastSeen: 0 },
      { name: 'Mac', platform: 'darwin', lastSeen: Date.now() - DAY },
    ]);
    const [me, desk, unnamed, mac] = await items();
    expect(within(me!).getByText('Work laptop')).toBeInTheDocument();
    expect(within(me!).getByText('This device')).toBeInTheDocument();
    expect(within(me!).getByText(/^Linux · Linked on /)).toBeInTheDocument();
    expect(within(desk!).getByText('Windows · Linked today')).toBeInTheDocument();
    expect(within(desk!).queryByText('This device')).not.toBeInTheDocument();
    expect(within(unnamed!).getByText('Unnamed device')).toBeInTheDocument();
    expect(within(unnamed!).getByText('Browser · Linked today')).toBeInTheDocument();
    expect(within(mac!).getByText('macOS · Linked today')).toBeInTheDocument();
    // When the relay last saw the others; never for this one, nor when unknown.
    expect(within(desk!).getByText(/^Last seen on /)).toBeInTheDocument();
    expect(within(mac!).getByText('Last seen yesterday')).toBeInTheDocument();
    expect(within(me!).queryByText(/^Last seen/)).not.toBeInTheDocument();
    expect(within(unnamed!).queryByText(/^Last seen/)).not.toBeInTheDocument();
  });

  it('offers Remove for every device but this one', async () => {
    setup([{ name: 'Desk' }]);
    await items();
    expect(screen.getByRole('button', { name: 'Rename Work laptop' })).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Remove Work laptop' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Remove Desk' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Rename Desk' })).toBeEnabled();
  });

  it('renames a device inline through Go', async () => {
    const { api, user } = setup([{ name: 'Desk' }]);
    await user.click(await screen.findByRole('button', { name: 'Rename Desk' }));
    const field = screen.getByRole('textbox', { name: 'Device name' });
    expect(field).toHaveValue('Desk');
    await waitFor(() => expect(field).toHaveFocus());
    await user.clear(field);
    await user.type(field, 'Office PC');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(api.devices.rename).toHaveBeenCalledWith(PHONE, 'Office PC');
    expect(await screen.findByRole('status')).toHaveTextContent('Renamed to Office PC.');
    expect(screen.queryByRole('textbox', { name: 'Device name' })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Rename Office PC' })).toHaveFocus());
  });

  it('checks the name before asking Go, shows Go’s refusal, and Cancel leaves it as it was', async () => {
    const { api, user } = setup([{ name: 'Desk' }]);
    await user.click(await screen.findByRole('button', { name: 'Rename Desk' }));
    const field = screen.getByRole('textbox', { name: 'Device name' });
    await user.clear(field);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(field).toHaveAccessibleDescription('Enter a name for this device.');
    expect(api.devices.rename).not.toHaveBeenCalled();

    api.devices.rename.mockRejectedValueOnce(new ApiError('The relay cannot be reached: connection refused.', 503));
    await user.type(field, 'Office PC');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(field).toHaveAccessibleDescription('The relay cannot be reached: connection refused.'),
    );

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Rename Desk' })).toBeInTheDocument();
    expect(api.backend.devices[1]?.name).toBe('Desk');
  });

  it('asks before removing a device, and Cancel keeps it', async () => {
    const { api, user } = setup([{ name: 'Desk' }]);
    await user.click(await screen.findByRole('button', { name: 'Remove Desk' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove device' });
    expect(dialog).toHaveTextContent('Remove Desk? It will be signed out and can no longer read new messages.');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog', { name: 'Remove device' })).not.toBeInTheDocument();
    expect(api.devices.revoke).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Remove Desk' })).toBeInTheDocument();
  });

  it('removes a device through Go once confirmed', async () => {
    const { api, user } = setup([{ name: 'Desk' }]);
    await user.click(await screen.findByRole('button', { name: 'Remove Desk' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove device' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove device' }));

    expect(api.devices.revoke).toHaveBeenCalledWith(PHONE);
    expect(await screen.findByRole('status')).toHaveTextContent('Desk was removed.');
    expect(screen.queryByRole('dialog', { name: 'Remove device' })).not.toBeInTheDocument();
    expect(await items()).toHaveLength(1);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Link a device' })).toHaveFocus());
  });

  it('keeps the confirmation open with Go’s words when removing fails', async () => {
    const { api, user } = setup([{ name: 'Desk' }]);
    api.devices.revoke.mockRejectedValueOnce(new ApiError('The relay cannot be reached: connection refused.', 503));
    await user.click(await screen.findByRole('button', { name: 'Remove Desk' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove device' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove device' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'The relay cannot be reached: connection refused.',
    );
    expect(await items()).toHaveLength(2);
  });

  it('reads the list again on devices:changed', async () => {
    const { api } = setup();
    expect(await items()).toHaveLength(1);
    api.backend.devices = [
      ...api.backend.devices,
      { id: PHONE, name: 'Phone', platform: 'linux', linkedAt: Date.now(), this: false, lastSeen: 0 },
    ];
    api.emit('devices:changed', { thisDeviceRemoved: false, verified: false });
    await waitFor(async () => expect(await items()).toHaveLength(2));
    expect(screen.getByText('Phone')).toBeInTheDocument();
    expect(api.devices.list).toHaveBeenCalledTimes(2);
  });

  it('opens Link a device and shows the new device once linked', async () => {
    const { api, user } = setup();
    await user.click(await screen.findByRole('button', { name: 'Link a device' }));
    const dialog = await screen.findByRole('dialog', { name: 'Link a device' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Link code' }), 'HUSH:ABCDEFGH');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    await user.click(await within(dialog).findByRole('button', { name: 'They match' }));
    expect(await within(dialog).findByRole('status')).toHaveTextContent('Linked.');
    await waitFor(async () => expect(await items()).toHaveLength(2));
    expect(api.devices.confirmLink).toHaveBeenCalledWith(expect.any(String), true);

    await user.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('dialog', { name: 'Link a device' })).not.toBeInTheDocument();
  });

  it('shows Go’s words when the list cannot be read', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    api.devices.list.mockRejectedValueOnce(new ApiError('Hush is locked. Unlock it first.', 409));
    const messenger = new Messenger(api, attentiveEnv());
    renderWithContext(DevicesSettings, { messenger }, createTestContext({ api }), messenger);
    expect(await screen.findByRole('alert')).toHaveTextContent('Hush is locked. Unlock it first.');
    expect(screen.queryByText('Loading…')).not.toBeInTheDocument();
  });
});
