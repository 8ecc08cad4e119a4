// File transfers of the unlocked window, from FileService calls and
// file:progress events: the uploads of messages being sent (shown as pending
// bubbles, with Cancel, and Retry or Remove once they failed) and the
// downloads of received files (a bar on the file, Cancel, and Resume, which
// Go continues where it stopped). Go sends the transfer's id with every event;
// an event may come before the call that started the transfer has answered,
// so those are kept until it does.

import type { FileProgress, FileService, StagedFile } from '../api';

/** Events kept for transfers whose call has not answered yet; oldest dropped first. */
export const MAX_EARLY_EVENTS = 64;

/** A message of files on its way out. */
export interface Upload {
  /** Stays the same across retries (the transfer id does not). */
  readonly key: number;
  readonly chatId: string;
  readonly files: readonly StagedFile[];
  readonly caption: string;
  /** The running transfer; '' while the call that starts it travels. */
  readonly transfer: string;
  /** Bytes sent and to send, all files together (Go counts ciphertext). */
  readonly done: number;
  readonly total: number;
  readonly running: boolean;
  /** Why it stopped ("Cancelled." when cancelled); '' while running. */
  readonly error: string;
  /** Per file (by index): bytes sent of bytes to send, as Go last reported. */
  readonly parts: readonly { done: number; total: number }[];
}

/** A received file being fetched, or stopped before it was whole. */
export interface Download {
  readonly fileId: string;
  readonly transfer: string;
  readonly done: number;
  readonly total: number;
  readonly running: boolean;
  /** Why it stopped ("Cancelled." when cancelled); '' while running. */
  readonly error: string;
}

export class TransfersStore {
  /** Oldest first. */
  uploads = $state.raw<readonly Upload[]>([]);
  #downloads = $state.raw<ReadonlyMap<string, Download>>(new Map());
  /** Files downloaded while this window ran (their FileInfo said not yet). */
  #downloaded = $state.raw<ReadonlySet<string>>(new Set());
  #keys = 0;
  #early = new Map<string, FileProgress[]>();

  constructor(private readonly files: FileService) {}

  uploadsOf(chatId: string): Upload[] {
    return this.uploads.filter((u) => u.chatId === chatId);
  }

  download(fileId: string): Download | undefined {
    return this.#downloads.get(fileId);
  }

  /** Whether a file is in the attachments folder: Go said so, or it arrived since. */
  isDownloaded(file: { id: string; downloaded: boolean }): boolean {
    return file.downloaded || this.#downloaded.has(file.id);
  }

  /**
   * Sends staged files to a chat in one message: shown at once as a pending
   * upload. A refused call leaves it failed with Go's words.
   */
  send(chatId: string, files: readonly StagedFile[], caption: string): Promise<void> {
    const parts = files.map((f) => ({ done: 0, total: f.size }));
    const u: Upload = {
      key: ++this.#keys,
      chatId,
      files,
      caption,
      transfer: '',
      done: 0,
      total: sum(parts, 'total'),
      running: true,
      error: '',
      parts,
    };
    this.uploads = [...this.uploads, u];
    return this.#start(u.key);
  }

  /** Sends a failed upload again; Go resumes it where it stopped. */
  retry(key: number): Promise<void> {
    this.#updateUpload(key, (u) => ({ ...u, running: true, error: '', transfer: '' }));
    return this.#start(key);
  }

  async #start(key: number): Promise<void> {
    const u = this.uploads.find((x) => x.key === key);
    if (!u) return;
    let transfer: string;
    try {
      transfer = await this.files.sendFiles(
        u.chatId,
        u.files.map((f) => f.id),
        u.caption,
      );
    } catch (err) {
      this.#updateUpload(key, (x) => ({ ...x, running: false, error: errorText(err) }));
      return;
    }
    this.#updateUpload(key, (x) => ({ ...x, transfer }));
    this.#replay(transfer);
  }

  /** Stops a running upload; its last event says "Cancelled.". */
  async cancelUpload(key: number): Promise<void> {
    const u = this.uploads.find((x) => x.key === key);
    if (u?.running && u.transfer !== '') await this.files.cancel(u.transfer);
  }

  /** Gives up a stopped upload: its files are deleted (FileService.Discard). */
  async removeUpload(key: number): Promise<void> {
    const u = this.uploads.find((x) => x.key === key);
    if (!u || u.running) return;
    this.uploads = this.uploads.filter((x) => x.key !== key);
    await this.files.discard(u.files.map((f) => f.id));
  }

  /** Fetches a received file, or goes on with one stopped before. Rejects with Go's error. */
  async startDownload(fileId: string, size: number): Promise<void> {
    const known = this.#downloads.get(fileId);
    if (known?.running) return;
    this.#setDownload({ fileId, transfer: '', done: known?.done ?? 0, total: known?.total || size, running: true, error: '' });
    let transfer: string;
    try {
      transfer = await this.files.download(fileId);
    } catch (err) {
      this.#setDownload({ ...this.#downloads.get(fileId)!, running: false, error: errorText(err) });
      throw err;
    }
    const now = this.#downloads.get(fileId);
    if (now) this.#setDownload({ ...now, transfer });
    this.#replay(transfer);
  }

  /** Stops a running download; Download again resumes it. */
  async cancelDownload(fileId: string): Promise<void> {
    const d = this.#downloads.get(fileId);
    if (d?.running && d.transfer !== '') await this.files.cancel(d.transfer);
  }

  /** A file:progress event. */
  apply(p: FileProgress): void {
    if (!this.#owner(p.transfer)) {
      // The call that started it has not answered yet.
      const list = this.#early.get(p.transfer) ?? [];
      list.push(p);
      this.#early.set(p.transfer, list);
      if (this.#early.size > MAX_EARLY_EVENTS) {
        const oldest = this.#early.keys().next().value;
        if (oldest !== undefined) this.#early.delete(oldest);
      }
      return;
    }
    if (p.direction === 'upload') this.#applyUpload(p);
    else this.#applyDownload(p);
  }

  /** Forgets everything (the window locked; Go cancelled every transfer). */
  reset(): void {
    this.uploads = [];
    this.#downloads = new Map();
    this.#downloaded = new Set();
    this.#early.clear();
  }

  #owner(transfer: string): boolean {
    if (transfer === '') return false;
    return this.uploads.some((u) => u.transfer === transfer) || [...this.#downloads.values()].some((d) => d.transfer === transfer);
  }

  #replay(transfer: string): void {
    const early = this.#early.get(transfer);
    this.#early.delete(transfer);
    for (const p of early ?? []) this.apply(p);
  }

  #applyUpload(p: FileProgress): void {
    const u = this.uploads.find((x) => x.transfer === p.transfer);
    if (!u) return;
    if (p.ended) {
      // Sent: the message itself is in the chat now (its message:new came first).
      if (p.error === '') this.uploads = this.uploads.filter((x) => x.key !== u.key);
      else this.#updateUpload(u.key, (x) => ({ ...x, running: false, error: p.error }));
      return;
    }
    const parts = u.parts.map((part, i) => (i === p.index ? { done: p.done, total: p.total } : part));
    this.#updateUpload(u.key, (x) => ({ ...x, parts, done: sum(parts, 'done'), total: sum(parts, 'total') }));
  }

  #applyDownload(p: FileProgress): void {
    const d = this.#downloads.get(p.fileId);
    if (!d || d.transfer !== p.transfer) return;
    if (!p.ended) {
      this.#setDownload({ ...d, done: p.done, total: p.total });
      return;
    }
    if (p.error !== '') {
      this.#setDownload({ ...d, running: false, error: p.error });
      return;
    }
    const next = new Map(this.#downloads);
    next.delete(p.fileId);
    this.#downloads = next;
    this.#downloaded = new Set(this.#downloaded).add(p.fileId);
  }

  #updateUpload(key: number, change: (u: Upload) => Upload): void {
    this.uploads = this.uploads.map((u) => (u.key === key ? change(u) : u));
  }

  #setDownload(d: Download): void {
    this.#downloads = new Map(this.#downloads).set(d.fileId, d);
  }
}

function sum(parts: readonly { done: number; total: number }[], key: 'done' | 'total'): number {
  return parts.reduce((n, p) => n + p[key], 0);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
