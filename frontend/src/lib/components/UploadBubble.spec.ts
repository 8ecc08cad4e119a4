import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { StagedFile } from '../api';
import { TransfersStore } from '../stores/transfers.svelte';
import { createFakeApi } from '../testing/fakeApi';
import UploadBubble from './UploadBubble.svelte';

async function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const files: StagedFile[] = [
    { id: 's1', name: 'photo.png', mime: 'image/png', size: 2048, thumbnail: 'data:image/jpeg;base64,/9j/', error: '' },
    { id: 's2', name: 'notes.txt', mime: 'text/plain', size: 1024, thumbnail: '', error: '' },
  ];
  for (const f of files) api.backend.staged.set(f.id, f);
  const transfers = new TransfersStore(api.files);
  await transfers.send('c1', files, 'a caption');
  const { rerender } = render(UploadBubble, { props: { upload: transfers.uploads[0]!, transfers } });
  const refresh = () => rerender({ upload: transfers.uploads[0]!, transfers });
  return { api, transfers, refresh, user: userEvent.setup() };
}

describe('UploadBubble', () => {
  it('shows the files, the caption and a named bar with the bytes sent', async () => {
    const { transfers, refresh } = await setup();
    expect(screen.getByRole('group', { name: 'Sending photo.png and notes.txt' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'photo.png' })).toBeInTheDocument();
    expect(screen.getByText('a caption')).toBeInTheDocument();
    const t = transfers.uploads[0]!.transfer;
    transfers.apply({ transfer: t, direction: 'upload', chatId: 'c1', fileId: '', name: 'photo.png', index: 0, done: 1024, total: 2048, ended: false, error: '', messageId: '' });
    await refresh();
    expect(screen.getByRole('progressbar', { name: 'Sending photo.png and notes.txt' })).toHaveAttribute('value', '33');
    expect(screen.getByText('1 KB of 3 KB')).toBeInTheDocument();
  });

  it('cancels, then offers Retry and Remove with the reason', async () => {
    const { api, transfers, refresh, user } = await setup();
    const t = transfers.uploads[0]!.transfer;
    await user.click(screen.getByRole('button', { name: 'Cancel sending photo.png and notes.txt' }));
    expect(api.files.cancel).toHaveBeenCalledWith(t);
    transfers.apply({ transfer: t, direction: 'upload', chatId: 'c1', fileId: '', name: '', index: 0, done: 0, total: 0, ended: true, error: 'Cancelled.', messageId: '' });
    await refresh();
    expect(screen.getByRole('alert')).toHaveTextContent('Not sent: Cancelled.');
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry sending photo.png and notes.txt' }));
    await waitFor(() => expect(api.files.sendFiles).toHaveBeenCalledTimes(2));
    await refresh();
    expect(screen.getByRole('progressbar')).toBeInTheDocument();
    transfers.apply({ transfer: transfers.uploads[0]!.transfer, direction: 'upload', chatId: 'c1', fileId: '', name: '', index: 0, done: 0, total: 0, ended: true, error: 'You are offline.', messageId: '' });
    await refresh();
    await user.click(screen.getByRole('button', { name: 'Remove photo.png and notes.txt' }));
    expect(api.files.discard).toHaveBeenCalledWith(['s1', 's2']);
    expect(transfers.uploads).toEqual([]);
  });
});
