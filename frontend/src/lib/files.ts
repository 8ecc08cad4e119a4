// Attachments in the UI: what files a drag, a paste or a picker holds, the
// names and sizes shown, the limits checked before anything is uploaded, and
// saving a received file (the desktop window's save dialog, or the browser's
// own download). Go checks every limit again (app/files.go).

import { RULES, type Api, type FileInfo, type Message } from './api';
import { formatBytes } from './bytes';

/** Go's sentence for a file over RULES.maxFileBytes (app/files.go), said before uploading it. */
export function tooLargeText(): string {
  return `The file is too large: at most ${formatBytes(RULES.maxFileBytes)} can be sent.`;
}

/** Go's sentence for a paste over RULES.maxPastedBytes (the desktop window hands Go the bytes). */
export function pastedTooLargeText(): string {
  return `The pasted file is too large: at most ${formatBytes(RULES.maxPastedBytes)} can be pasted. Save it as a file and attach that.`;
}

/** Why a file past RULES.maxFilesPerMessage is left out. */
export function tooManyText(): string {
  return `At most ${RULES.maxFilesPerMessage} files go in one message: send these first.`;
}

/** "1 file", "3 files". */
export function fileCountText(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

/** The names of files as a list for a sentence: "a.png", "a.png and b.txt", "a.png, b.txt and 2 more". */
export function fileNamesText(names: readonly string[]): string {
  if (names.length <= 2) return names.join(' and ');
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} more`;
}

/**
 * What stands for a message in one line (a reply's quote, the pinned bar): its
 * text, or for files alone their names ("📎 photo.png and notes.txt").
 */
export function messageLine(m: Pick<Message, 'body' | 'files'>): string {
  if (m.body !== '' || !m.files?.length) return m.body;
  return `📎 ${fileNamesText(m.files.map((f) => f.name))}`;
}

/** "1.5 MB of 3 MB". */
export function progressText(done: number, total: number): string {
  return `${formatBytes(done)} of ${formatBytes(total)}`;
}

/** The whole number percent of done in total, 0 while total is unknown. */
export function percent(done: number, total: number): number {
  if (!(total > 0) || !(done > 0)) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/**
 * Whether a file is an image the window shows as a picture: the types Go's
 * image view accepts (FileService.Image sniffs the bytes again).
 */
export function isViewableImage(f: Pick<FileInfo, 'mime'>): boolean {
  return /^image\/(png|jpeg|gif|webp|bmp)$/i.test(f.mime);
}

/**
 * Whether a drag carries files from outside (not text or a part of the page).
 * The desktop window's WebKitGTK shows files dragged from a file manager as
 * their URIs only (text/uri-list, no "Files"); Go gets their paths from the
 * window system (app.Core.DropFiles), so there a URI list counts.
 */
export function carriesFiles(dt: DataTransfer | null | undefined, desktop = false): boolean {
  const types = Array.from(dt?.types ?? []);
  return types.includes('Files') || (desktop && types.includes('text/uri-list'));
}

/** The files a drop or a paste holds, in order. */
export function filesOf(dt: DataTransfer | null | undefined): File[] {
  if (!dt) return [];
  const fromItems = Array.from(dt.items ?? [])
    .filter((i) => i.kind === 'file')
    .map((i) => i.getAsFile())
    .filter((f): f is File => f !== null);
  return fromItems.length > 0 ? fromItems : Array.from(dt.files ?? []);
}

/**
 * The pictures on the system clipboard, read with the async clipboard API
 * (within a paste, which allows it). WebKitGTK hands a paste event no picture
 * in clipboardData, so the desktop window reads them this way; empty when
 * there are none or the clipboard cannot be read.
 */
export async function clipboardImages(clipboard: Pick<Clipboard, 'read'> | undefined = globalThis.navigator?.clipboard): Promise<File[]> {
  if (!clipboard?.read) return [];
  let items: ClipboardItems;
  try {
    items = await clipboard.read();
  } catch {
    return [];
  }
  const out: File[] = [];
  for (const item of items) {
    const type = item.types.find((t) => t.startsWith('image/'));
    if (type) out.push(new File([await item.getType(type)], 'image', { type }));
  }
  return out;
}

/** The extension of an image type: "image/png" → "png". */
function extensionOf(type: string): string {
  const m = /^image\/([a-z0-9.+-]+)$/i.exec(type);
  const sub = m?.[1]?.toLowerCase() ?? '';
  if (sub === 'jpeg') return 'jpg';
  if (sub === 'svg+xml') return 'svg';
  return sub || 'bin';
}

/** The clipboard's own names for a pasted picture say nothing: "image.png". */
const GENERIC_NAMES = /^(image|blob|clipboard|unknown)(\.[a-z0-9]+)?$/i;

/**
 * The name a pasted file is sent under: its own when it has a real one (a
 * file copied in a file manager), else "Pasted image 2026-05-01 14.03.22.png".
 */
export function pastedName(file: Pick<File, 'name' | 'type'>, now: Date): string {
  if (file.name && !GENERIC_NAMES.test(file.name)) return file.name;
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}.${p(now.getMinutes())}.${p(now.getSeconds())}`;
  return `Pasted ${file.type.startsWith('image/') ? 'image' : 'file'} ${stamp}.${extensionOf(file.type)}`;
}

/** A blob's bytes as base64 (what FileService.StageData takes). */
export function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(blob);
  });
}

/**
 * Saves a downloaded file where the user says: the desktop window's save
 * dialog, then Go writes it there; in browser mode the browser downloads it
 * (a one-time link Go serves decrypted). Resolves with false when the user
 * cancelled the dialog. Rejects with Go's error.
 */
export async function saveFile(api: Api, fileId: string, doc: Document = document): Promise<boolean> {
  if (api.mode === 'browser') {
    const link = await api.files.downloadLink(fileId);
    const a = doc.createElement('a');
    a.href = link;
    a.download = '';
    a.hidden = true;
    doc.body.append(a);
    a.click();
    a.remove();
    return true;
  }
  const path = await api.files.chooseSaveFile(fileId);
  if (path === '') return false;
  await api.files.saveAs(fileId, path);
  return true;
}
