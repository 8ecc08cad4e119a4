// Sizes for people: "512 bytes", "1.5 KB", "3 MB", "1 GB" — powers of 1024, as
// file managers show them, one decimal below 10 of a unit.

import { numberFormat } from './intl';

const UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** A byte count as a short size in the user's locale (or the one given). */
export function formatBytes(n: number, locale?: string): string {
  const bytes = Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  const text = numberFormat(locale, { maximumFractionDigits: digits }).format(value);
  return `${text} ${UNITS[unit]}`;
}
