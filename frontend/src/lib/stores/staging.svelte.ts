// The files of the send sheet: chosen, dropped or pasted, each staged in Go
// (encrypted into the data folder) before the user presses Send. In the
// desktop window Go picks and reads files itself (its dialog, the window's
// drops); a browser uploads each file it holds (File objects) first. Sizes
// and counts are checked before anything is uploaded; Go checks them again.
// Whatever is not sent is discarded in Go: removed from the sheet, the sheet
// cancelled, or the chat left.

import { RULES, type Api, type StagedFile } from '../api';
import { base64Of, pastedName, pastedTooLargeText, tooLargeText, tooManyText } from '../files';

/** One file of the sheet. */
export interface StagingItem {
  readonly key: number;
  readonly name: string;
  readonly size: number;
  /** preparing: Go stages it (a browser uploads it first); failed: error says why. */
  readonly state: 'preparing' | 'ready' | 'failed';
  readonly staged: StagedFile | null;
  readonly error: string;
}

export class StagingSheet {
  items = $state.raw<readonly StagingItem[]>([]);
  /** The caption the message will carry. */
  caption = $state('');
  /** Why the last attempt to add files failed as a whole (the dialog, reading a paste). */
  error = $state('');
  #keys = 0;
  /** Bumped by cancel and take: files staged for an earlier sheet are discarded when they arrive. */
  #generation = 0;

  constructor(private readonly api: Api) {}

  /** Files staged and ready to send. */
  get ready(): StagedFile[] {
    return this.items.flatMap((i) => (i.state === 'ready' && i.staged ? [i.staged] : []));
  }

  get preparing(): boolean {
    return this.items.some((i) => i.state === 'preparing');
  }

  /** Files in the sheet that count against one message's limit. */
  #counted(): number {
    return this.items.filter((i) => i.state !== 'failed').length;
  }

  /**
   * Files a browser holds (the file input, a drop, a paste): each too large
   * or past the count is refused at once; the others are uploaded and staged.
   */
  addFiles(files: readonly File[]): Promise<void> {
    const work: Promise<void>[] = [];
    for (const f of files) {
      if (f.size > RULES.maxFileBytes) this.#push(f.name, f.size, 'failed', null, tooLargeText());
      else if (this.#counted() >= RULES.maxFilesPerMessage) this.#push(f.name, f.size, 'failed', null, tooManyText());
      else {
        const key = this.#push(f.name, f.size, 'preparing', null, '');
        work.push(this.#stage(key, async () => this.api.files.staged(await this.api.upload(f, f.name))));
      }
    }
    return Promise.all(work).then(() => {});
  }

  /**
   * Files pasted into the composer: named when the clipboard gave no useful
   * name; the desktop window hands Go their bytes (it has no upload).
   */
  addPasted(files: readonly File[], now = new Date()): Promise<void> {
    const named = files.map((f) => new File([f], pastedName(f, now), { type: f.type }));
    if (this.api.mode === 'browser') return this.addFiles(named);
    const work: Promise<void>[] = [];
    for (const f of named) {
      if (f.size > RULES.maxPastedBytes) {
        this.#push(f.name, f.size, 'failed', null, pastedTooLargeText());
      } else if (this.#counted() >= RULES.maxFilesPerMessage) this.#push(f.name, f.size, 'failed', null, tooManyText());
      else {
        const key = this.#push(f.name, f.size, 'preparing', null, '');
        work.push(this.#stage(key, async () => this.api.files.stageData(f.name, await base64Of(f))));
      }
    }
    return Promise.all(work).then(() => {});
  }

  /** Files Go staged itself: the desktop window's dialog or a drop on it. */
  addStaged(files: readonly StagedFile[]): void {
    const over: string[] = [];
    for (const f of files) {
      if (f.id === '') this.#push(f.name, f.size, 'failed', null, f.error);
      else if (this.#counted() >= RULES.maxFilesPerMessage) {
        over.push(f.id);
        this.#push(f.name, f.size, 'failed', null, tooManyText());
      } else this.#push(f.name, f.size, 'ready', f, '');
    }
    if (over.length > 0) void this.api.files.discard(over).catch(() => {});
  }

  /** Opens the desktop window's file dialog; what is chosen joins the sheet. */
  async choose(): Promise<void> {
    this.error = '';
    try {
      this.addStaged(await this.api.files.chooseFiles());
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Takes a file out of the sheet; Go deletes it. */
  remove(key: number): void {
    const item = this.items.find((i) => i.key === key);
    this.items = this.items.filter((i) => i.key !== key);
    if (item?.staged) void this.api.files.discard([item.staged.id]).catch(() => {});
  }

  /** Closes the sheet: every file staged for it is discarded, now or when it arrives. */
  cancel(): void {
    const ids = this.ready.map((f) => f.id);
    this.#clear();
    if (ids.length > 0) void this.api.files.discard(ids).catch(() => {});
  }

  /**
   * Hands the ready files and the caption to the sender and closes the
   * sheet; files that failed are simply dropped (Go holds nothing of them).
   */
  take(): { files: StagedFile[]; caption: string } {
    const out = { files: this.ready, caption: this.caption.trim() };
    this.#clear();
    return out;
  }

  #clear(): void {
    this.#generation++;
    this.items = [];
    this.caption = '';
    this.error = '';
  }

  #push(name: string, size: number, state: StagingItem['state'], staged: StagedFile | null, error: string): number {
    const key = ++this.#keys;
    this.items = [...this.items, { key, name, size, state, staged, error }];
    return key;
  }

  /** Stages one file with stage(); a sheet closed meanwhile gets it discarded. */
  async #stage(key: number, stage: () => Promise<StagedFile>): Promise<void> {
    const generation = this.#generation;
    let staged: StagedFile;
    try {
      staged = await stage();
    } catch (err) {
      this.#set(key, { state: 'failed', error: errorText(err) });
      return;
    }
    if (generation !== this.#generation || !this.items.some((i) => i.key === key)) {
      void this.api.files.discard([staged.id]).catch(() => {});
      return;
    }
    this.#set(key, { state: 'ready', staged, name: staged.name, size: staged.size });
  }

  #set(key: number, change: Partial<StagingItem>): void {
    this.items = this.items.map((i) => (i.key === key ? { ...i, ...change } : i));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
