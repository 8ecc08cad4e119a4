import { describe, expect, it } from 'vitest';
import { MAX_LINK_CHARS, linkTarget, splitLinks, type TextPart } from './links';

function links(text: string): [string, string][] {
  return splitLinks(text)
    .filter((p): p is Extract<TextPart, { kind: 'link' }> => p.kind === 'link')
    .map((p) => [p.text, p.href]);
}

describe('splitLinks', () => {
  it('finds http, https, mailto and www. addresses, keeping the text whole', () => {
    const text = 'see https://example.com/a?b=1#c, http://example.org and www.hush.example. Mail mailto:ada@example.com!';
    expect(links(text)).toEqual([
      ['https://example.com/a?b=1#c', 'https://example.com/a?b=1#c'],
      ['http://example.org', 'http://example.org/'],
      ['www.hush.example', 'https://www.hush.example/'],
      ['mailto:ada@example.com', 'mailto:ada@example.com'],
    ]);
    expect(
      splitLinks(text)
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
  });

  it('leaves text without addresses as one part', () => {
    expect(splitLinks('just words, a.b and 3:14')).toEqual([{ kind: 'text', text: 'just words, a.b and 3:14' }]);
    expect(splitLinks('')).toEqual([{ kind: 'text', text: '' }]);
  });

  it('keeps sentence punctuation and an unmatched bracket out of a link, and balanced ones in', () => {
    expect(links('(see https://example.com/x).')).toEqual([['https://example.com/x', 'https://example.com/x']]);
    expect(links('https://en.wikipedia.org/wiki/Hush_(film)')).toEqual([
      ['https://en.wikipedia.org/wiki/Hush_(film)', 'https://en.wikipedia.org/wiki/Hush_(film)'],
    ]);
    expect(links('"https://example.com/q"?')).toEqual([['https://example.com/q', 'https://example.com/q']]);
  });

  it('trims a long run of closing brackets in linear time', () => {
    // Counting the brackets again for every one dropped took 1.5 s on 16 KiB.
    const text = `https://a.example/${')'.repeat(16 * 1024)}`;
    const started = performance.now();
    expect(links(text)).toEqual([['https://a.example/', 'https://a.example/']]);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('links an address right after an underscore (italics around it)', () => {
    expect(links('_https://example.com/a_b_')).toEqual([['https://example.com/a_b', 'https://example.com/a_b']]);
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.cookie)',
    ' javascript://example.com/%0aalert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.com/file',
    'hush://settings',
  ])('never links %j', (text) => {
    expect(links(text)).toEqual([]);
    expect(splitLinks(text).map((p) => p.text).join('')).toBe(text);
  });

  it('links only the https address when another scheme is written in front of it', () => {
    // The href is what the text after "javascript:" says: an ordinary https page.
    expect(links('javascript:https://example.com')).toEqual([['https://example.com', 'https://example.com/']]);
  });

  it('refuses an address with a user name, which reads as one host and goes to another', () => {
    expect(links('https://bank.example.com@evil.example/login')).toEqual([]);
    expect(links('https://user:pass@example.com/')).toEqual([]);
  });

  it('shows a homograph host as the punycode the browser will visit', () => {
    // "аpple" with a Cyrillic а.
    const [[text, href]] = links('https://\u0430pple.com/') as [[string, string]];
    expect(text).toBe('https://\u0430pple.com/');
    expect(href).toBe('https://xn--pple-43d.com/');
  });

  it('ends an address at control and text-direction characters', () => {
    // U+202E would show "https://example.com/gnp.exe" reversed into something else.
    expect(links('https://example.com/\u202Eexe.png')).toEqual([['https://example.com/', 'https://example.com/']]);
    expect(links('https://example.com/a\u0000b')).toEqual([['https://example.com/a', 'https://example.com/a']]);
  });

  it('keeps markup characters out of an address and never builds one from them', () => {
    expect(links('https://example.com/"><img src=x onerror=alert(1)>')).toEqual([
      ['https://example.com/', 'https://example.com/'],
    ]);
  });

  it('refuses a mailto with headers or without an address', () => {
    expect(links('mailto:ada@example.com?bcc=eve@example.com')).toEqual([]);
    expect(links('mailto:nobody')).toEqual([]);
  });

  it('does not start a link inside a word or another address', () => {
    expect(links('xhttps://example.com')).toEqual([]);
    expect(links('ada@www.example.com')).toEqual([]);
  });

  it('leaves an overlong address as text', () => {
    const long = `https://example.com/${'a'.repeat(MAX_LINK_CHARS)}`;
    expect(links(long)).toEqual([]);
  });
});

describe('linkTarget', () => {
  it('answers null for what may not be opened', () => {
    expect(linkTarget('javascript:alert(1)')).toBeNull();
    expect(linkTarget('https://')).toBeNull();
    expect(linkTarget('www.x')).toBeNull();
    expect(linkTarget('https://example.com')).toBe('https://example.com/');
  });
});
