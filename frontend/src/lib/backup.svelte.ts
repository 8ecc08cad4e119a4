// One backup operation as the UI follows it (export, import or restore; Go runs
// one at a time): its backup:progress events, folded into what the progress
// bar and the result line show. One instance per form, made when the form
// mounts; `dispose` stops listening.

import type { Api, BackupFiles, BackupOperation, BackupProgress } from './api';
import { formatCount } from './format';

export class BackupRun {
  /** The last event of this operation; null until one arrives. */
  progress = $state<BackupProgress | null>(null);
  readonly #operation: BackupOperation;
  readonly #off: () => void;

  constructor(api: Api, operation: BackupOperation) {
    this.#operation = operation;
    this.#off = api.on('backup:progress', (p) => {
      if (p.operation === this.#operation) this.progress = p;
    });
  }

  /** True from the start until the operation ended. */
  get running(): boolean {
    return this.progress?.stage === 'running';
  }

  /** Marks the operation started (Go's first event follows). */
  started(): void {
    this.progress = {
      operation: this.#operation,
      stage: 'running',
      bytes: 0,
      items: 0,
      totalItems: 0,
      fileBytes: 0,
      totalFileBytes: 0,
      text: '',
      download: '',
    };
  }

  /** Forgets the last operation, for another try. */
  reset(): void {
    this.progress = null;
  }

  dispose(): void {
    this.#off();
  }
}

/** The file a native dialog of the desktop window chose, or why it could not. */
export class ChosenFile {
  /** The path chosen; '' until one is. */
  path = $state('');
  /** Why the dialog failed; '' when it did not. */
  error = $state('');

  /** Shows the dialog; a cancelled dialog keeps the last choice. */
  async choose(pick: () => Promise<string>): Promise<void> {
    this.error = '';
    try {
      const path = await pick();
      if (path) this.path = path;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }
}

/** "12.4 MB", "980 kB": a backup's size so far (SI units, as file managers show). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/**
 * "4.2 MB · 1,204 of 10,000 items · files 12 MB of 340 MB": what a running
 * backup has done (the files part only when the backup holds files).
 */
export function backupProgressText(p: BackupProgress, locale?: string): string {
  const items =
    p.totalItems > 0
      ? `${formatCount(p.items, locale)} of ${formatCount(p.totalItems, locale)} items`
      : `${formatCount(p.items, locale)} items`;
  const files = p.totalFileBytes > 0 ? ` · files ${formatBytes(p.fileBytes)} of ${formatBytes(p.totalFileBytes)}` : '';
  return `${formatBytes(p.bytes)} · ${items}${files}`;
}

/**
 * Bytes an item weighs in the progress bar: about a message record, so that a
 * backup of many messages and a few large files moves the bar by what it
 * writes, not by records alone (files' bytes are exact from the start).
 */
const ITEM_WEIGHT = 256;

/** The progress bar's value and max, or null before Go knows the total. */
export function backupProgressBar(p: BackupProgress): { value: number; max: number } | null {
  if (p.totalItems <= 0) return null;
  return {
    value: p.items * ITEM_WEIGHT + p.fileBytes,
    max: p.totalItems * ITEM_WEIGHT + p.totalFileBytes,
  };
}

/** "Files: 12 (340 MB)": what an export with "Include files" adds. */
export function backupFilesText(f: BackupFiles, locale?: string): string {
  return `Files: ${formatCount(f.included, locale)} (${formatBytes(f.includedBytes)})`;
}
