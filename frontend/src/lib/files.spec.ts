import { describe, expect, it, vi } from 'vitest';
import { RULES } from './api';
import {
  base64Of,
  carriesFiles,
  clipboardImages,
  fileCountText,
  fileNamesText,
  filesOf,
  isViewableImage,
  messageLine,
  pastedName,
  percent,
  progressText,
  saveFile,
  tooLargeText,
  tooManyText,
} from './files';
import { createFakeApi } from './testing/fakeApi';

/** A DataTransfer as jsdom lacks one: types, items and files. */
function transfer(files: File[], types: string[] = files.length ? ['Files'] : ['text/plain']): DataTransfer {
  return {
    types,
    items: files.map((f) => ({ kind: 'file', type: f.type, getAsFile: () => f })),
    files,
  } as unknown as DataTransfer;
}

describe('files', () => {
  it('words the limits as Go does', () => {
    expect(RULES.maxFileBytes).toBeGreaterThan(100_000_000);
    expect(tooLargeText()).toBe('The file is too large: at most 100 MB can be sent.');
    expect(tooManyText()).toBe(`At most ${RULES.maxFilesPerMessage} files go in one message: send these first.`);
  });

  it('counts and lists files for sentences', () => {
    expect(fileCountText(1)).toBe('1 file');
    expect(fileCountText(3)).toBe('3 files');
    expect(fileNamesText(['a.png'])).toBe('a.png');
    expect(fileNamesText(['a.png', 'b.txt'])).toBe('a.png and b.txt');
    expect(fileNamesText(['a', 'b', 'c'])).toBe('a, b and c');
    expect(fileNamesText(['a', 'b', 'c', 'd', 'e'])).toBe('a, b and 3 more');
  });

  it('stands for a message of files alone by their names', () => {
    const f = (name: string) => ({ id: name, name, mime: '', size: 1, thumbnail: '', downloaded: false });
    expect(messageLine({ body: 'hello', files: [f('a.png')] })).toBe('hello');
    expect(messageLine({ body: '', files: [f('a.png'), f('b.txt')] })).toBe('📎 a.png and b.txt');
    expect(messageLine({ body: '', files: [] })).toBe('');
  });

  it('says how far a transfer got, and never more than all of it', () => {
    expect(progressText(1536, 3 * 1024 * 1024)).toBe('1.5 KB of 3 MB');
    expect(percent(1, 4)).toBe(25);
    expect(percent(5, 4)).toBe(100);
    expect(percent(3, 0)).toBe(0);
    expect(percent(Number.NaN, 10)).toBe(0);
  });

  it('shows as pictures only the image types Go will show', () => {
    for (const mime of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'IMAGE/PNG']) {
      expect(isViewableImage({ mime })).toBe(true);
    }
    for (const mime of ['image/svg+xml', 'text/html', 'application/pdf', '']) expect(isViewableImage({ mime })).toBe(false);
  });

  it('tells a drag of files from a drag of text, and reads the files of a drop or paste', () => {
    const a = new File(['a'], 'a.txt', { type: 'text/plain' });
    const b = new File(['bb'], 'b.png', { type: 'image/png' });
    expect(carriesFiles(transfer([a]))).toBe(true);
    expect(carriesFiles(transfer([]))).toBe(false);
    expect(carriesFiles(null)).toBe(false);
    // WebKitGTK shows a file manager's files as URIs; only the desktop window counts them.
    const uris = transfer([], ['text/uri-list', 'text/html']);
    expect(carriesFiles(uris)).toBe(false);
    expect(carriesFiles(uris, true)).toBe(true);
    expect(filesOf(transfer([a, b]))).toEqual([a, b]);
    expect(filesOf({ types: ['Files'], items: [], files: [b] } as unknown as DataTransfer)).toEqual([b]);
    expect(filesOf(null)).toEqual([]);
  });

  it('names pasted pictures after when they were pasted, keeping real names', () => {
    const at = new Date(2026, 4, 1, 14, 3, 22);
    expect(pastedName({ name: 'image.png', type: 'image/png' }, at)).toBe('Pasted image 2026-05-01 14.03.22.png');
    expect(pastedName({ name: '', type: 'image/jpeg' }, at)).toBe('Pasted image 2026-05-01 14.03.22.jpg');
    expect(pastedName({ name: 'blob', type: 'application/pdf' }, at)).toBe('Pasted file 2026-05-01 14.03.22.bin');
    expect(pastedName({ name: 'holiday.jpg', type: 'image/jpeg' }, at)).toBe('holiday.jpg');
  });

  it('reads the clipboard’s pictures, and nothing where it cannot', async () => {
    const png = new Blob(['png'], { type: 'image/png' });
    const clipboard = {
      read: vi.fn(async () => [
        { types: ['text/plain'], getType: async () => new Blob(['hi']) },
        { types: ['text/html', 'image/png'], getType: async () => png },
      ]),
    } as unknown as Clipboard;
    const files = await clipboardImages(clipboard);
    expect(files.map((f) => [f.type, f.size])).toEqual([['image/png', 3]]);
    expect(await clipboardImages({ read: async () => Promise.reject(new Error('denied')) } as unknown as Clipboard)).toEqual([]);
    expect(await clipboardImages(undefined)).toEqual([]);
  });

  it('reads a blob as base64', async () => {
    expect(await base64Of(new Blob(['hello']))).toBe('aGVsbG8=');
  });

  it('saves through a one-time link in browser mode', async () => {
    const api = createFakeApi({ state: 'unlocked' });
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.getAttribute('href') ?? '');
    });
    try {
      expect(await saveFile(api, 'f1')).toBe(true);
    } finally {
      click.mockRestore();
    }
    expect(api.files.downloadLink).toHaveBeenCalledWith('f1');
    expect(clicked).toEqual(['/api/download/link-1']);
    expect(document.querySelector('a[download]')).toBeNull();
    expect(api.files.saveAs).not.toHaveBeenCalled();
  });

  it('saves where the save dialog says in the desktop window, or not at all when cancelled', async () => {
    const api = { ...createFakeApi({ state: 'unlocked' }), mode: 'wails' as const };
    expect(await saveFile(api, 'f1')).toBe(true);
    expect(api.files.saveAs).toHaveBeenCalledWith('f1', '/home/ada/Downloads/file');
    api.files.chooseSaveFile.mockResolvedValueOnce('');
    expect(await saveFile(api, 'f2')).toBe(false);
    expect(api.files.saveAs).toHaveBeenCalledTimes(1);
    expect(api.files.downloadLink).not.toHaveBeenCalled();
  });
});
