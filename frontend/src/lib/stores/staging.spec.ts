import { describe, expect, it } from 'vitest';
import { ApiError, RULES, type StagedFile } from '../api';
import { createFakeApi } from '../testing/fakeApi';
import { StagingSheet } from './staging.svelte';

/** A file whose size is what it claims, without holding the bytes. */
function sized(name: string, size: number, type = 'text/plain'): File {
  const f = new File(['x'], name, { type });
  Object.defineProperty(f, 'size', { value: size });
  return f;
}

function setup(mode: 'browser' | 'wails' = 'browser') {
  const api = { ...createFakeApi({ state: 'unlocked' }), mode };
  return { api, sheet: new StagingSheet(api) };
}

describe('StagingSheet', () => {
  it('uploads a browser’s files with their names and stages them; refuses what is too large before uploading', async () => {
    const { api, sheet } = setup();
    const adding = sheet.addFiles([new File(['hello'], 'a.txt'), sized('huge.bin', RULES.maxFileBytes + 1)]);
    expect(sheet.items.map((i) => [i.name, i.state])).toEqual([
      ['a.txt', 'preparing'],
      ['huge.bin', 'failed'],
    ]);
    expect(sheet.items[1]!.error).toBe('The file is too large: at most 100 MB can be sent.');
    expect(sheet.preparing).toBe(true);
    await adding;
    expect(api.upload).toHaveBeenCalledTimes(1);
    expect(api.upload.mock.calls[0]![1]).toBe('a.txt');
    expect(sheet.items[0]).toMatchObject({ state: 'ready', name: 'a.txt' });
    expect(sheet.ready.map((f) => f.name)).toEqual(['a.txt']);
    expect(sheet.preparing).toBe(false);
  });

  it('takes at most one message’s files', async () => {
    const { sheet } = setup();
    const files = Array.from({ length: RULES.maxFilesPerMessage + 2 }, (_, i) => new File(['x'], `f${i}.txt`));
    await sheet.addFiles(files);
    expect(sheet.ready).toHaveLength(RULES.maxFilesPerMessage);
    expect(sheet.items.filter((i) => i.state === 'failed').map((i) => i.error)).toEqual([
      `At most ${RULES.maxFilesPerMessage} files go in one message: send these first.`,
      `At most ${RULES.maxFilesPerMessage} files go in one message: send these first.`,
    ]);
  });

  it('shows Go’s refusal of an upload on its file', async () => {
    const { api, sheet } = setup();
    api.upload.mockRejectedValueOnce(new ApiError("The relay's storage for your files is full.", 422));
    await sheet.addFiles([new File(['x'], 'a.txt')]);
    expect(sheet.items[0]).toMatchObject({ state: 'failed', error: "The relay's storage for your files is full." });
    expect(sheet.ready).toEqual([]);
  });

  it('discards what it staged when cancelled, and what arrives after', async () => {
    const { api, sheet } = setup();
    await sheet.addFiles([new File(['x'], 'early.txt')]);
    const early = sheet.ready[0]!.id;
    let release: (id: string) => void = () => {};
    api.upload.mockImplementationOnce(() => new Promise((r) => (release = r)));
    const late = sheet.addFiles([new File(['y'], 'late.txt')]);
    sheet.cancel();
    expect(sheet.items).toEqual([]);
    expect(api.files.discard).toHaveBeenCalledWith([early]);
    api.backend.staged.set('late-id', { id: 'late-id', name: 'late.txt', mime: '', size: 1, thumbnail: '', error: '' });
    release('late-id');
    await late;
    expect(api.files.discard).toHaveBeenLastCalledWith(['late-id']);
    expect(sheet.items).toEqual([]);
  });

  it('hands over its files and caption on send, keeping them in Go', async () => {
    const { api, sheet } = setup();
    await sheet.addFiles([new File(['x'], 'a.txt'), new File(['y'], 'b.txt')]);
    sheet.caption = '  both  ';
    sheet.remove(sheet.items[1]!.key);
    expect(api.files.discard).toHaveBeenCalledTimes(1);
    const { files, caption } = sheet.take();
    expect(files.map((f) => f.name)).toEqual(['a.txt']);
    expect(caption).toBe('both');
    expect(sheet.items).toEqual([]);
    expect(sheet.caption).toBe('');
    expect(api.files.discard).toHaveBeenCalledTimes(1);
  });

  it('pastes in a browser as an upload named after the moment', async () => {
    const { api, sheet } = setup();
    await sheet.addPasted([new File(['png'], 'image.png', { type: 'image/png' })], new Date(2026, 0, 2, 3, 4, 5));
    expect(api.upload.mock.calls[0]![1]).toBe('Pasted image 2026-01-02 03.04.05.png');
    expect(sheet.ready[0]!.name).toBe('Pasted image 2026-01-02 03.04.05.png');
  });

  it('pastes in the desktop window as bytes, within the paste limit', async () => {
    const { api, sheet } = setup('wails');
    await sheet.addPasted([
      new File(['hello'], 'image.png', { type: 'image/png' }),
      new File([new Uint8Array(RULES.maxPastedBytes + 1)], 'shot.png', { type: 'image/png' }),
    ]);
    expect(api.upload).not.toHaveBeenCalled();
    expect(api.files.stageData).toHaveBeenCalledTimes(1);
    expect(api.files.stageData.mock.calls[0]![1]).toBe('aGVsbG8=');
    expect(sheet.items[1]).toMatchObject({
      state: 'failed',
      error: 'The pasted file is too large: at most 16 MB can be pasted. Save it as a file and attach that.',
    });
  });

  it('takes what Go staged from its dialog or a drop, with what it could not', async () => {
    const { api, sheet } = setup('wails');
    const ok: StagedFile = { id: 's1', name: 'a.pdf', mime: 'application/pdf', size: 10, thumbnail: '', error: '' };
    const bad: StagedFile = { id: '', name: 'Photos', mime: '', size: 0, thumbnail: '', error: 'Only files can be sent, not folders.' };
    api.backend.chosenFiles = [ok, bad];
    await sheet.choose();
    expect(sheet.items.map((i) => [i.name, i.state, i.error])).toEqual([
      ['a.pdf', 'ready', ''],
      ['Photos', 'failed', 'Only files can be sent, not folders.'],
    ]);
    api.files.chooseFiles.mockRejectedValueOnce(new Error('The file dialog failed: no display'));
    await sheet.choose();
    expect(sheet.error).toBe('The file dialog failed: no display');
  });
});
