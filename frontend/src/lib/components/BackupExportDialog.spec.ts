import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { BackupProgress } from '../api';
import { createFakeApi, type FakeApi } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import BackupExportDialog from './BackupExportDialog.svelte';

const strong = 'velvet orbit quartz lantern 93';

function progress(over: Partial<BackupProgress>): BackupProgress {
  return {
    operation: 'export',
    stage: 'running',
    bytes: 0,
    items: 0,
    totalItems: 0,
    fileBytes: 0,
    totalFileBytes: 0,
    text: '',
    download: '',
    ...over,
  };
}

async function setup(mode: 'browser' | 'wails' = 'browser') {
  const fake = createFakeApi({ state: 'unlocked' });
  const api: FakeApi = mode === 'browser' ? fake : { ...fake, mode: 'wails' };
  const onclose = vi.fn();
  const user = userEvent.setup();
  renderWithContext(BackupExportDialog, { onclose }, createTestContext({ api }));
  await screen.findByRole('dialog', { name: 'Export a backup' });
  const passphrase = screen.getByLabelText('Backup passphrase');
  const confirm = screen.getByLabelText('Confirm backup passphrase');
  const submit = screen.getByRole('button', { name: 'Export' });
  return { api: fake, user, onclose, passphrase, confirm, submit };
}

describe('BackupExportDialog', () => {
  it('includes the files by default, with their size, and exports without them when unticked', async () => {
    const { api, user, passphrase, confirm, submit } = await setup();
    const box = screen.getByRole('checkbox', { name: 'Include files' });
    expect(box).toBeChecked();
    await waitFor(() => expect(box).toHaveAccessibleDescription(/Files: 12 \(340 MB\); 3 more not on this device/));
    await user.click(box);
    await user.type(passphrase, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    await waitFor(() => expect(api.backup.export).toHaveBeenCalledWith(strong, '', { includeFiles: false }));
    api.emit('backup:progress', progress({ bytes: 40_000_000, items: 10, totalItems: 10, fileBytes: 12_000_000, totalFileBytes: 340_000_000 }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('files 12 MB of 340 MB'));
    const bar = screen.getByRole<HTMLProgressElement>('progressbar', { name: 'Exporting the backup' });
    expect(bar.value).toBe(10 * 256 + 12_000_000);
    expect(bar.max).toBe(10 * 256 + 340_000_000);
  });

  it('says that secret chats are not included', async () => {
    await setup();
    expect(screen.getByText(/Secret chats are not included/)).toBeInTheDocument();
  });

  it('exports for a download in browser mode, shows progress with Cancel, then the download', async () => {
    const { api, user, passphrase, confirm, submit } = await setup();
    await user.type(passphrase, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    await waitFor(() => expect(api.backup.export).toHaveBeenCalledWith(strong, '', { includeFiles: true }));

    api.emit('backup:progress', progress({ bytes: 4_200_000, items: 1204, totalItems: 10_000 }));
    const bar = () => screen.getByRole<HTMLProgressElement>('progressbar', { name: 'Exporting the backup' });
    await waitFor(() => expect(bar().value).toBe(1204 * 256));
    expect(bar().max).toBe(10_000 * 256);
    expect(screen.getByRole('status')).toHaveTextContent('4.2 MB · 1,204 of 10,000 items');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.backup.cancel).toHaveBeenCalledTimes(1);

    api.emit('backup:progress', progress({ stage: 'done', text: 'Backed up 1 account.', download: '/api/download/abc' }));
    const link = await screen.findByRole('link', { name: 'Download the backup' });
    expect(link).toHaveAttribute('href', '/api/download/abc');
    expect(screen.getByText('Backed up 1 account.')).toHaveAttribute('role', 'status');
  });

  it('ignores the progress of other operations', async () => {
    const { api, user, passphrase, confirm, submit } = await setup();
    await user.type(passphrase, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    api.emit('backup:progress', progress({ operation: 'import', stage: 'done', text: 'Imported.' }));
    expect(screen.queryByText('Imported.')).not.toBeInTheDocument();
  });

  it('shows why an export failed, and lets the user try again', async () => {
    const { api, user, passphrase, confirm, submit } = await setup();
    await user.type(passphrase, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    api.emit('backup:progress', progress({ stage: 'failed', text: 'The backup failed: disk full' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('disk full');
    expect(screen.getByRole('button', { name: 'Export' })).toBeEnabled();
  });

  it('refuses a short or mismatched passphrase before calling Go', async () => {
    const { api, user, passphrase, confirm, submit } = await setup();
    await user.type(passphrase, 'short');
    await user.type(confirm, 'short');
    await user.click(submit);
    expect(await screen.findByText(/Use at least/)).toBeInTheDocument();
    await user.clear(passphrase);
    await user.type(passphrase, strong);
    await user.click(submit);
    expect(await screen.findByText('The passphrases do not match.')).toBeInTheDocument();
    expect(api.backup.export).not.toHaveBeenCalled();
  });

  it('asks where to save in the desktop window, with the native dialog', async () => {
    const { api, user, passphrase, confirm, submit } = await setup('wails');
    await user.type(passphrase, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose where to save the backup.');
    expect(api.backup.export).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Choose where to save…' }));
    expect(await screen.findByText('/home/ada/hush-2026-01-01.hushbackup')).toBeInTheDocument();
    await user.click(submit);
    await waitFor(() =>
      expect(api.backup.export).toHaveBeenCalledWith(strong, '/home/ada/hush-2026-01-01.hushbackup', {
        includeFiles: true,
      }),
    );
  });
});
