import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FileInfo, FileProgress } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MessageFiles from './MessageFiles.svelte';

const notes: FileInfo = { id: 'f-notes', name: 'notes.txt', mime: 'text/plain', size: 2048, thumbnail: '', downloaded: false };
const photo: FileInfo = {
  id: 'f-photo',
  name: 'photo.png',
  mime: 'image/png',
  size: 4096,
  thumbnail: 'data:image/jpeg;base64,/9j/4AAQ',
  downloaded: false,
};

function progress(transfer: string, fileId: string, over: Partial<FileProgress> = {}): FileProgress {
  return { transfer, direction: 'download', chatId: '', fileId, name: '', index: 0, done: 0, total: 0, ended: false, error: '', messageId: '', ...over };
}

function setup(files: FileInfo[] = [notes, photo]) {
  const api = createFakeApi({ state: 'unlocked' });
  const messenger = new Messenger(api, attentiveEnv());
  const stop = messenger.start();
  const onopen = vi.fn();
  renderWithContext(MessageFiles, { files, tabindex: 0, onopen }, createTestContext({ api }), messenger);
  return { api, onopen, stop, user: userEvent.setup() };
}

let stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops) s();
  stops = [];
});

describe('MessageFiles', () => {
  it('shows an image as its thumbnail named by the file, and every file with its size and Download', () => {
    const { stop } = setup();
    stops.push(stop);
    expect(screen.getByRole('img', { name: 'photo.png' })).toHaveAttribute('src', photo.thumbnail);
    expect(screen.getByText('notes.txt')).toBeInTheDocument();
    expect(screen.getByText('2 KB')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download notes.txt' })).toHaveAttribute('tabindex', '0');
    expect(screen.getByRole('button', { name: 'Download and open photo.png' })).toBeInTheDocument();
  });

  it('downloads with a named bar and Cancel, resumes, then offers Save as… through the browser', async () => {
    const { api, user, stop } = setup([notes]);
    stops.push(stop);
    await user.click(screen.getByRole('button', { name: 'Download notes.txt' }));
    const bar = await screen.findByRole('progressbar', { name: 'Downloading notes.txt' });
    const transfer = await api.files.download.mock.results[0]!.value;
    api.emit('file:progress', progress(transfer, notes.id, { done: 1024, total: 2064 }));
    await waitFor(() => expect(bar).toHaveAttribute('value', '49'));
    expect(screen.getByText('1 KB of 2 KB')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cancel the download of notes.txt' }));
    expect(api.files.cancel).toHaveBeenCalledWith(transfer);
    api.emit('file:progress', progress(transfer, notes.id, { ended: true, error: 'Cancelled.' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Cancelled.');

    await user.click(screen.getByRole('button', { name: 'Resume the download of notes.txt' }));
    const again = await api.files.download.mock.results[1]!.value;
    api.emit('file:progress', progress(again, notes.id, { ended: true }));
    expect(await screen.findByText('2 KB · Downloaded')).toBeInTheDocument();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    try {
      await user.click(screen.getByRole('button', { name: 'Save notes.txt as…' }));
      await waitFor(() => expect(api.files.downloadLink).toHaveBeenCalledWith(notes.id));
      expect(click).toHaveBeenCalledTimes(1);
    } finally {
      click.mockRestore();
    }
  });

  it('opens an image once its download ends, and at once when it is there', async () => {
    const { api, onopen, user, stop } = setup([photo]);
    stops.push(stop);
    await user.click(screen.getByRole('button', { name: 'Download and open photo.png' }));
    const transfer = await api.files.download.mock.results[0]!.value;
    expect(onopen).not.toHaveBeenCalled();
    api.emit('file:progress', progress(transfer, photo.id, { ended: true }));
    await waitFor(() => expect(onopen).toHaveBeenCalledWith(photo));
    const open = screen.getByRole('button', { name: 'Open photo.png' });
    await user.click(open);
    expect(onopen).toHaveBeenCalledTimes(2);
    expect(within(open).getByRole('img', { name: 'photo.png' })).toBeInTheDocument();
  });

  it('says why Save as… failed', async () => {
    const { api, user, stop } = setup([{ ...notes, downloaded: true }]);
    stops.push(stop);
    api.files.downloadLink.mockRejectedValueOnce(new Error('Download the file first.'));
    await user.click(screen.getByRole('button', { name: 'Save notes.txt as…' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Download the file first.');
  });
});
