import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LinkPreview } from './api';
import { firstPreviewUrl, previewBelongs, PreviewWatcher, PREVIEW_DELAY_MS } from './linkPreview';

const p = (url: string): LinkPreview => ({ url, title: 't', description: '', siteName: '', thumbnail: '' });

afterEach(() => {
  vi.useRealTimers();
});

describe('firstPreviewUrl', () => {
  it.each([
    ['no link', null],
    ['see https://example.com/a.', 'https://example.com/a'],
    ['www.example.com then https://b.example', 'https://www.example.com'],
    ['http://example.com first', null],
    ['mailto:a@b.example', null],
    ['`https://in.code` only', null],
    ['**https://bold.example**', 'https://bold.example'],
  ])('%s → %s', (text, want) => {
    expect(firstPreviewUrl(text)).toBe(want);
  });
});

describe('previewBelongs', () => {
  it('shows a preview only while its URL is a link of the text', () => {
    expect(previewBelongs('look https://a.example/x', p('https://a.example/x'))).toBe(true);
    expect(previewBelongs('look www.a.example', p('https://www.a.example'))).toBe(true);
    expect(previewBelongs('no link now', p('https://a.example/x'))).toBe(false);
    expect(previewBelongs('`https://a.example/x`', p('https://a.example/x'))).toBe(false);
    expect(previewBelongs('https://a.example/x', null)).toBe(false);
  });
});

describe('PreviewWatcher', () => {
  it('waits for the pause, asks once per URL, drops a stale or mismatched answer', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn(async (url: string) => (url.includes('wrong') ? p('https://other.example') : p(url)));
    const shown: (LinkPreview | null)[] = [];
    const w = new PreviewWatcher(fetch, (x) => shown.push(x));
    w.update('https://a.example');
    w.update('https://a.example/b');
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS - 1);
    expect(fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledExactlyOnceWith('https://a.example/b');
    expect(w.shown?.url).toBe('https://a.example/b');
    w.update('https://a.example/b and more');
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    expect(fetch).toHaveBeenCalledTimes(1);
    w.update('https://wrong.example');
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    expect(w.shown).toBeNull();
    w.update('no link');
    expect(shown.at(-1)).toBeNull();
  });

  it('never shows an answer that comes after the text moved on', async () => {
    vi.useFakeTimers();
    let answer: (v: LinkPreview) => void = () => {};
    const w = new PreviewWatcher(
      () => new Promise<LinkPreview>((r) => (answer = r)),
      () => {},
    );
    w.update('https://a.example');
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    w.update('');
    answer(p('https://a.example'));
    await vi.advanceTimersByTimeAsync(0);
    expect(w.shown).toBeNull();
  });
});
