import { describe, expect, it, vi } from 'vitest';
import { dateTimeFormat, graphemeSegmenter, numberFormat } from './intl';

const when = Date.UTC(2026, 11, 4, 18, 5);

describe('intl', () => {
  it.each([
    ['en-GB', { hour: '2-digit', minute: '2-digit' }],
    ['de-DE', { weekday: 'long', day: 'numeric', month: 'long' }],
    ['ja-JP', { day: '2-digit', month: '2-digit', year: 'numeric' }],
  ] as const)('formats dates in %s as a fresh formatter would', (locale, options) => {
    expect(dateTimeFormat(locale, options).format(when)).toBe(new Intl.DateTimeFormat(locale, options).format(when));
  });

  it.each([
    ['en-US', undefined, 3400],
    ['de-DE', { maximumFractionDigits: 1 }, 1.25],
    ['fr-FR', { maximumFractionDigits: 0 }, 1234567],
  ] as const)('formats numbers in %s as a fresh formatter would', (locale, options, n) => {
    expect(numberFormat(locale, options).format(n)).toBe(new Intl.NumberFormat(locale, options).format(n));
  });

  it('makes each formatter once', () => {
    const a = dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
    expect(dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' })).toBe(a);
    expect(dateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit' })).not.toBe(a);
    expect(dateTimeFormat('en-GB', { weekday: 'short' })).not.toBe(a);
    expect(numberFormat(undefined)).toBe(numberFormat(undefined));
    expect(numberFormat(undefined, { maximumFractionDigits: 1 })).not.toBe(numberFormat(undefined));
    expect(graphemeSegmenter()).toBe(graphemeSegmenter());
  });

  it('makes a new date formatter once the computer is in another time zone', () => {
    const before = dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
    const moved = vi.spyOn(Date.prototype, 'getTimezoneOffset').mockReturnValue(new Date().getTimezoneOffset() + 60);
    try {
      expect(dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' })).not.toBe(before);
    } finally {
      moved.mockRestore();
    }
    expect(dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' })).toBe(before);
  });

  it('keeps formatting right past its bound', () => {
    for (let digits = 0; digits <= 20; digits++) {
      for (const locale of ['en-US', 'de-DE', 'fr-FR', 'ja-JP']) {
        const f = numberFormat(locale, { maximumFractionDigits: digits });
        expect(f.format(1.5)).toBe(new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(1.5));
      }
    }
  });
});
