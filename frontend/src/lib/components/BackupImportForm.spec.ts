import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { BackupProgress } from '../api';
import { createFakeApi, type FakeApi } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import BackupImportForm from './BackupImportForm.svelte';
import WelcomeScreen from './WelcomeScreen.svelte';

const strong = 'velvet orbit quartz lantern 93';

function progress(over: Partial<BackupProgress>): BackupProgress {
  return { operation: 'import', stage: 'running', bytes: 0, items: 0, totalItems: 0, fileBytes: 0, totalFileBytes: 0, text: '', download: '', ...over };
}

function setup(mode: 'import' | 'restore', transport: 'browser' | 'wails' = 'browser') {
  const fake = createFakeApi({ state: mode === 'import' ? 'unlocked' : 'new' });
  const api: FakeApi = transport === 'browser' ? fake : { ...fake, mode: 'wails' };
  const onrestored = vi.fn();
  const onclose = vi.fn();
  const user = userEvent.setup();
  renderWithContext(BackupImportForm, { mode, onrestored, onclose }, createTestContext({ api }));
  return { api: fake, user, onrestored, onclose };
}

const backupFile = () => new File(['age-encryption.org/v1\n…'], 'hush-2025-12-01.hushbackup');

describe('BackupImportForm', () => {
  it('uploads the file in browser mode, imports it, and shows progress and the result', async () => {
    const { api, user, onclose } = setup('import');
    await user.upload(screen.getByLabelText('Backup file'), backupFile());
    await user.type(screen.getByLabelText('Backup passphrase'), 'the backup passphrase');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(api.backup.import).toHaveBeenCalledWith('upload-1', 'the backup passphrase'));
    expect(api.upload).toHaveBeenCalledTimes(1);

    api.emit('backup:progress', progress({ bytes: 2000, items: 5, totalItems: 10 }));
    const bar = () => screen.getByRole<HTMLProgressElement>('progressbar', { name: 'Importing the backup' });
    await waitFor(() => expect(bar().value).toBe(5 * 256));
    expect(bar().max).toBe(10 * 256);
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.backup.cancel).toHaveBeenCalled();

    api.emit('backup:progress', progress({ stage: 'done', text: 'Imported 1 account: nothing new.' }));
    expect(await screen.findByText('Imported 1 account: nothing new.')).toHaveAttribute('role', 'status');
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(onclose).toHaveBeenCalled();
  });

  it("shows Go's reason when a backup is refused, and nothing else happens", async () => {
    const { api, user } = setup('import');
    await user.upload(screen.getByLabelText('Backup file'), backupFile());
    await user.type(screen.getByLabelText('Backup passphrase'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    api.emit('backup:progress', progress({ stage: 'failed', text: 'Wrong backup passphrase. Nothing was changed.' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong backup passphrase. Nothing was changed.');
    expect(screen.getByRole('button', { name: 'Import' })).toBeEnabled();
  });

  it('asks for a file and the passphrase before calling Go', async () => {
    const { api, user } = setup('import');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose a backup file.');
    await user.upload(screen.getByLabelText('Backup file'), backupFile());
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByText("Enter the backup's passphrase.")).toBeInTheDocument();
    expect(api.backup.import).not.toHaveBeenCalled();
    expect(api.upload).not.toHaveBeenCalled();
  });

  it('restores with a new vault passphrase and reports when the vault is there', async () => {
    const { api, user, onrestored } = setup('restore');
    await user.upload(screen.getByLabelText('Backup file'), backupFile());
    await user.type(screen.getByLabelText('Backup passphrase'), 'the backup passphrase');
    await user.click(screen.getByRole('button', { name: 'Restore' }));
    expect(await screen.findByText('Enter a passphrase.')).toBeInTheDocument();
    expect(api.backup.restore).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText('New vault passphrase'), strong);
    await user.type(screen.getByLabelText('Confirm vault passphrase'), strong);
    await user.click(screen.getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(api.backup.restore).toHaveBeenCalledWith('upload-1', 'the backup passphrase', strong));
    api.emit('backup:progress', progress({ operation: 'restore', stage: 'done', text: 'Restored 1 account.' }));
    await waitFor(() => expect(onrestored).toHaveBeenCalledTimes(1));
  });

  it('picks the file with the native dialog in the desktop window', async () => {
    const { api, user } = setup('import', 'wails');
    expect(screen.queryByLabelText('Backup file')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Choose a backup file…' }));
    expect(await screen.findByText('/home/ada/hush-2025-12-01.hushbackup')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Backup passphrase'), 'the backup passphrase');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() =>
      expect(api.backup.import).toHaveBeenCalledWith('/home/ada/hush-2025-12-01.hushbackup', 'the backup passphrase'),
    );
    expect(api.upload).not.toHaveBeenCalled();
  });
});

describe('WelcomeScreen → Restore from backup', () => {
  it('opens the restore screen and comes back', async () => {
    const user = userEvent.setup();
    renderWithContext(WelcomeScreen, {}, createTestContext({ api: createFakeApi({ state: 'new' }) }));
    await user.click(screen.getByRole('button', { name: 'Restore from backup' }));
    expect(await screen.findByRole('heading', { name: 'Restore from a backup' })).toBeInTheDocument();
    expect(screen.getByLabelText('Backup file')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Restore from backup' })).toHaveFocus());
  });
});
