import { describe, expect, it } from 'vitest';
import type { FileProgress, StagedFile } from '../api';
import { createFakeApi } from '../testing/fakeApi';
import { MAX_EARLY_EVENTS, TransfersStore } from './transfers.svelte';

function staged(name: string, size: number): StagedFile {
  return { id: `id-${name}`, name, mime: 'text/plain', size, thumbnail: '', error: '' };
}

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const files = [staged('a.txt', 100), staged('b.png', 300)];
  for (const f of files) api.backend.staged.set(f.id, f);
  return { api, files, store: new TransfersStore(api.files) };
}

function up(transfer: string, over: Partial<FileProgress> = {}): FileProgress {
  return {
    transfer,
    direction: 'upload',
    chatId: 'c1',
    fileId: '',
    name: '',
    index: 0,
    done: 0,
    total: 0,
    ended: false,
    error: '',
    messageId: '',
    ...over,
  };
}

function down(transfer: string, fileId: string, over: Partial<FileProgress> = {}): FileProgress {
  return up(transfer, { direction: 'download', chatId: '', fileId, ...over });
}

describe('TransfersStore', () => {
  it('shows an upload at once, adds up its files and lets it go once sent', async () => {
    const { api, files, store } = setup();
    const sending = store.send('c1', files, 'caption');
    expect(store.uploadsOf('c1')).toMatchObject([{ running: true, transfer: '', done: 0, total: 400, caption: 'caption' }]);
    expect(store.uploadsOf('c2')).toEqual([]);
    await sending;
    expect(api.files.sendFiles).toHaveBeenCalledWith('c1', ['id-a.txt', 'id-b.png'], 'caption');
    const [u] = store.uploads;
    store.apply(up(u!.transfer, { index: 0, done: 116, total: 116 }));
    store.apply(up(u!.transfer, { index: 1, done: 100, total: 316 }));
    expect(store.uploads[0]).toMatchObject({ done: 216, total: 432 });
    store.apply(up('someone-else', { done: 5, total: 5 }));
    expect(store.uploads[0]).toMatchObject({ done: 216 });
    store.apply(up(u!.transfer, { ended: true, messageId: 'm1' }));
    expect(store.uploads).toEqual([]);
  });

  it('applies events that came before Go answered the call', async () => {
    const { api, files, store } = setup();
    api.files.sendFiles.mockResolvedValueOnce('fast');
    const sending = store.send('c1', files, '');
    store.apply(up('fast', { index: 1, done: 316, total: 316 }));
    store.apply(up('fast', { ended: true, messageId: 'm1' }));
    expect(store.uploads).toHaveLength(1);
    await sending;
    expect(store.uploads).toEqual([]);
  });

  it('keeps a bounded number of early events, the oldest dropped first', async () => {
    const { api, files, store } = setup();
    for (let i = 0; i <= MAX_EARLY_EVENTS; i++) store.apply(up(`t${i}`, { ended: true, messageId: 'm' }));
    // t0's end was dropped to make room: its upload waits for events that are gone.
    api.files.sendFiles.mockResolvedValueOnce('t0').mockResolvedValueOnce(`t${MAX_EARLY_EVENTS}`);
    await store.send('c1', files, 'old');
    await store.send('c1', files, 'new');
    expect(store.uploads.map((u) => u.caption)).toEqual(['old']);
  });

  it('stops on a cancel or a failure with Go’s words, retries as the same upload, or removes it', async () => {
    const { api, files, store } = setup();
    await store.send('c1', files, '');
    const first = store.uploads[0]!;
    await store.cancelUpload(first.key);
    expect(api.files.cancel).toHaveBeenCalledWith(first.transfer);
    store.apply(up(first.transfer, { ended: true, error: 'Cancelled.' }));
    expect(store.uploads[0]).toMatchObject({ key: first.key, running: false, error: 'Cancelled.' });

    await store.retry(first.key);
    const again = store.uploads[0]!;
    expect(again).toMatchObject({ key: first.key, running: true, error: '' });
    expect(again.transfer).not.toBe(first.transfer);
    expect(api.files.sendFiles).toHaveBeenCalledTimes(2);
    // A stale event of the first attempt changes nothing.
    store.apply(up(first.transfer, { ended: true, error: 'Cancelled.' }));
    expect(store.uploads[0]!.running).toBe(true);
    store.apply(up(again.transfer, { ended: true, error: "The relay's storage for your files is full. Nothing was sent." }));
    expect(store.uploads[0]!.error).toBe("The relay's storage for your files is full. Nothing was sent.");

    await store.removeUpload(first.key);
    expect(store.uploads).toEqual([]);
    expect(api.files.discard).toHaveBeenCalledWith(['id-a.txt', 'id-b.png']);
  });

  it('shows a refused send as failed', async () => {
    const { api, files, store } = setup();
    api.files.sendFiles.mockRejectedValueOnce(new Error('Secret chats do not take attachments yet.'));
    await store.send('c1', files, '');
    expect(store.uploads[0]).toMatchObject({ running: false, error: 'Secret chats do not take attachments yet.' });
  });

  it('follows a download to the end, and resumes one cancelled', async () => {
    const { api, store } = setup();
    const file = { id: 'f1', downloaded: false };
    await store.startDownload('f1', 1000);
    const d = store.download('f1')!;
    expect(d).toMatchObject({ running: true, total: 1000 });
    store.apply(down(d.transfer, 'f1', { done: 500, total: 1016 }));
    expect(store.download('f1')).toMatchObject({ done: 500, total: 1016 });
    await store.cancelDownload('f1');
    expect(api.files.cancel).toHaveBeenCalledWith(d.transfer);
    store.apply(down(d.transfer, 'f1', { ended: true, error: 'Cancelled.' }));
    expect(store.download('f1')).toMatchObject({ running: false, error: 'Cancelled.', done: 500 });
    expect(store.isDownloaded(file)).toBe(false);

    await store.startDownload('f1', 1000);
    const resumed = store.download('f1')!;
    expect(resumed).toMatchObject({ running: true, error: '', done: 500 });
    store.apply(down(resumed.transfer, 'f1', { ended: true }));
    expect(store.download('f1')).toBeUndefined();
    expect(store.isDownloaded(file)).toBe(true);
    expect(store.isDownloaded({ id: 'other', downloaded: true })).toBe(true);

    store.reset();
    expect(store.isDownloaded(file)).toBe(false);
  });

  it('shows a download Go refused', async () => {
    const { api, store } = setup();
    api.files.download.mockRejectedValueOnce(new Error('You are offline.'));
    await expect(store.startDownload('f1', 10)).rejects.toThrow('You are offline.');
    expect(store.download('f1')).toMatchObject({ running: false, error: 'You are offline.' });
  });
});
