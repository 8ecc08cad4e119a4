import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkTarget } from './links';
import {
  MAX_NESTING,
  MAX_RICH_CHARS,
  markerRanges,
  parseRichText,
  plainText,
  richDepth,
  richSource,
  stripMarkers,
  stripMarkersFromRuns,
  type RichNode,
} from './richtext';

/** The tree in a short notation for tables: <b>, <i>, <s>, <code>, <pre>, [text](href). */
function show(nodes: readonly RichNode[]): string {
  return nodes
    .map((n) => {
      switch (n.kind) {
        case 'text':
          return n.text;
        case 'link':
          return `[${n.text}](${n.href})`;
        case 'code':
          return `<code>${n.text}</code>`;
        case 'pre':
          return `<pre>${n.text}</pre>`;
        case 'strong':
          return `<b>${show(n.children)}</b>`;
        case 'em':
          return `<i>${show(n.children)}</i>`;
        case 'strike':
          return `<s>${show(n.children)}</s>`;
      }
    })
    .join('');
}

const rich = (text: string): string => show(parseRichText(text));

describe('parseRichText', () => {
  it.each([
    ['**bold**', '<b>bold</b>'],
    ['*italic* and _italic_', '<i>italic</i> and <i>italic</i>'],
    ['~~gone~~', '<s>gone</s>'],
    ['***both***', '<b><i>both</i></b>'],
    ['`x = 1`', '<code>x = 1</code>'],
    ['``a ` b``', '<code>a ` b</code>'],
    ['**bold** _it_ `code`', '<b>bold</b> <i>it</i> <code>code</code>'],
    ['say **hi**, _you_!', 'say <b>hi</b>, <i>you</i>!'],
    ['(*aside*)', '(<i>aside</i>)'],
    ['"**quoted**"', '"<b>quoted</b>"'],
    ['**bold\nover lines**', '<b>bold\nover lines</b>'],
    ['plain text', 'plain text'],
    ['', ''],
  ])('formats %j', (text, want) => {
    expect(rich(text)).toBe(want);
  });

  it.each([
    ['snake_case_names', 'snake_case_names'],
    ['call my_func_name() now', 'call my_func_name() now'],
    ['2*3*4 = 24', '2*3*4 = 24'],
    ['a * b * c', 'a * b * c'],
    ['x*y*z', 'x*y*z'],
    ['__init__ and __main__', '__init__ and __main__'],
    ['about ~5 minutes ~ or so', 'about ~5 minutes ~ or so'],
    ['* one\n* two', '* one\n* two'],
    ['**unclosed', '**unclosed'],
    ['closed only**', 'closed only**'],
    ['** spaced **', '** spaced **'],
    ['****', '****'],
    ['**mixed_', '**mixed_'],
    ['`unclosed code', '`unclosed code'],
    ['/usr/lib/*.so and *.txt', '/usr/lib/*.so and *.txt'],
    ["it's 5*3 not 5 * 3", "it's 5*3 not 5 * 3"],
  ])('leaves %j as typed', (text, want) => {
    expect(rich(text)).toBe(want);
    expect(richSource(parseRichText(text))).toBe(text);
  });

  it.each([
    ['https://example.com/a_b_c', '[https://example.com/a_b_c](https://example.com/a_b_c)'],
    ['https://example.com/*x*/y', '[https://example.com/*x*/y](https://example.com/*x*/y)'],
    ['see https://example.com/~a~~b~~c', 'see [https://example.com/~a~~b~~c](https://example.com/~a~~b~~c)'],
    ['**https://example.com**', '<b>[https://example.com](https://example.com/)</b>'],
    ['_https://example.com/x_y_', '<i>[https://example.com/x_y](https://example.com/x_y)</i>'],
    ['*see www.example.com/a*b now*', '<i>see [www.example.com/a*b](https://www.example.com/a*b) now</i>'],
  ])('keeps addresses whole: %j', (text, want) => {
    expect(rich(text)).toBe(want);
  });

  it.each([
    ['`**not bold**`', '<code>**not bold**</code>'],
    ['`https://example.com`', '<code>https://example.com</code>'],
    ['```\nfn main() {\n    *x = 1;\n}\n```', '<pre>fn main() {\n    *x = 1;\n}</pre>'],
    ['```one line```', '<pre>one line</pre>'],
    ['before\n```\n  indented\n\ttab\n```\nafter', 'before\n<pre>  indented\n\ttab</pre>\nafter'],
    ['**bold `code` bold**', '<b>bold <code>code</code> bold</b>'],
    ['*a ```\nb\n``` c*', '*a <pre>b</pre> c*'],
    ['``` a ``', '``` a ``'],
  ])('reads nothing inside code: %j', (text, want) => {
    expect(rich(text)).toBe(want);
  });

  it.each([
    ['**bold _italic_ bold**', '<b>bold <i>italic</i> bold</b>'],
    ['_it **bold** it_', '<i>it <b>bold</b> it</i>'],
    ['~~**both**~~', '<s><b>both</b></s>'],
    ['*a _b* c_', '<i>a _b</i> c_'],
    ['**a *b** c*', '<b>a *b</b> c*'],
    ['*outer *inner* outer*', '<i>outer <i>inner</i> outer</i>'],
  ])('nests without crossing: %j', (text, want) => {
    expect(rich(text)).toBe(want);
  });

  it('nests at most MAX_NESTING deep; deeper markers stay as typed', () => {
    const open = ['**', '_', '~~', '*', '**', '_', '~~'];
    const text = `${open.join('')}x${[...open].reverse().join('')}`;
    const nodes = parseRichText(text);
    expect(richDepth(nodes)).toBeLessThanOrEqual(MAX_NESTING + 1);
    expect(richSource(nodes)).toBe(text);
    expect(rich(`**_~~*x*~~_**`)).toBe('<b><i><s><i>x</i></s></i></b>');
  });

  it.each([
    ['中文**强调**中文', '中文<b>强调</b>中文'],
    ['日本語の*斜体*です', '日本語の<i>斜体</i>です'],
    ['変数_名前_です', '変数<i>名前</i>です'],
    ['한국어 **굵게** 텍스트', '한국어 <b>굵게</b> 텍스트'],
    ['한국어**굵게**', '한국어**굵게**'],
    ['😀*hi*🎉 and **👍**', '😀<i>hi</i>🎉 and <b>👍</b>'],
    ['👨‍👩‍👧 _family_ 🇫🇷', '👨‍👩‍👧 <i>family</i> 🇫🇷'],
    ['שלום **עולם** היום', 'שלום <b>עולם</b> היום'],
    ['مرحبا _بالعالم_', 'مرحبا <i>بالعالم</i>'],
    ['\u202Etxt.exe **x**', '\u202Etxt.exe <b>x</b>'],
    ['café_au_lait', 'café_au_lait'],
    ['cafe\u0301*x*', 'cafe\u0301*x*'],
    ['𝐀*x*𝐁 and 𝐀 *x* 𝐁', '𝐀*x*𝐁 and 𝐀 <i>x</i> 𝐁'], // letters beyond the BMP are letters
  ])('handles scripts and emoji: %j', (text, want) => {
    expect(rich(text)).toBe(want);
  });

  it('links an https address with javascript: in its path to that https page', () => {
    expect(rich('https://x.com/javascript:alert(1)')).toBe(
      '[https://x.com/javascript:alert(1)](https://x.com/javascript:alert(1))',
    );
  });

  it('shows a text longer than MAX_RICH_CHARS with links only', () => {
    const text = `**not bold** https://example.com ${'x'.repeat(MAX_RICH_CHARS)}`;
    const nodes = parseRichText(text);
    expect(nodes.map((n) => n.kind)).toEqual(['text', 'link', 'text']);
    expect(richSource(nodes)).toBe(text);
  });

  it('never links what is not http, https or mailto', () => {
    expect(rich('**javascript:alert(1)** `javascript:x` _data:text/html,x_')).toBe(
      '<b>javascript:alert(1)</b> <code>javascript:x</code> <i>data:text/html,x</i>',
    );
  });
});

describe('plain text', () => {
  it('is the text without the markers read as formatting', () => {
    expect(stripMarkers('**bold** _it_ `code` 2*3*4')).toBe('bold it code 2*3*4');
    expect(stripMarkers('```\nblock\n```')).toBe('block');
  });

  it('takes the markers out of search snippets, keeping highlights on their characters', () => {
    const runs = [
      { text: 'a **bo', hit: false },
      { text: 'ld', hit: true },
      { text: '** `x` 2*3*4', hit: false },
    ];
    expect(stripMarkersFromRuns(runs)).toEqual([
      { text: 'a bo', hit: false },
      { text: 'ld', hit: true },
      { text: ' x 2*3*4', hit: false },
    ]);
    // A highlight on a marker alone disappears with it.
    expect(stripMarkersFromRuns([{ text: '*', hit: true }, { text: 'it*', hit: false }])).toEqual([
      { text: 'it', hit: false },
    ]);
  });
});

// Text made of the characters that matter: markers, backticks, spaces, line
// breaks, letters of several scripts, digits, emoji and pieces of addresses.
const atoms = [
  '*', '**', '***', '_', '__', '~', '~~', '`', '``', '```', ' ', '\n', '\t', 'a', 'Z', '7', 'é', '中', 'ש', '😀',
  '(', ')', '.', ',', 'https://', 'www.', 'x.com', '/', 'javascript:', 'mailto:a@b.co', '\u202E', '\u200B',
];
const marked = fc.array(fc.constantFrom(...atoms), { maxLength: 200 }).map((a) => a.join(''));
const anyText = fc.oneof(marked, fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));

function* leaves(nodes: readonly RichNode[]): Generator<RichNode> {
  for (const n of nodes) {
    if ('children' in n) yield* leaves(n.children);
    else yield n;
  }
}

describe('parseRichText properties', () => {
  it('gives the text back: its nodes with their markers are the input', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(richSource(parseRichText(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('shows the input minus exactly the markers it read', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const nodes = parseRichText(text);
        const ranges = markerRanges(nodes);
        let expected = '';
        let at = 0;
        for (const [start, end] of ranges) {
          expect(start).toBeGreaterThanOrEqual(at);
          expect(text.slice(start, end)).toMatch(/^(?:\*{1,3}|_|~~|`+(?:\r?\n)?|(?:\r?\n)?`+)$/);
          expected += text.slice(at, start);
          at = end;
        }
        expected += text.slice(at);
        expect(plainText(nodes)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('links only to http, https and mailto, and never to javascript:', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const leaf of leaves(parseRichText(text))) {
          if (leaf.kind !== 'link') continue;
          // (An https address may still have "javascript:" in its path: it opens that page.)
          expect(new URL(leaf.href).protocol).toMatch(/^(?:https?|mailto):$/);
          expect(leaf.href).toBe(linkTarget(leaf.text));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('nests no deeper than MAX_NESTING, and leaves no empty text nodes', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const nodes = parseRichText(text);
        expect(richDepth(nodes)).toBeLessThanOrEqual(MAX_NESTING + 1);
        for (const leaf of leaves(nodes)) if (leaf.kind === 'text') expect(leaf.text).not.toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on 16 KiB of adversarial text', () => {
    const size = 16 * 1024;
    const fill = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const inputs = [
      fill('*a '),
      fill('**a _b ~~c '),
      fill('_'),
      fill('*'),
      fill('`'),
      fill('` `` ``` '),
      fill('`a``b```c````d'),
      fill('***a'),
      fill('(*'),
      `https://a.example/${')'.repeat(size)}`,
      `https://a.example/${'.)'.repeat(size / 2)}`,
      fill('**_~~*'),
      `${'**_~~*'.repeat(2000)}x${'*~~_**'.repeat(2000)}`,
      fill('www.a.b '),
      fill('a_b*c~d'),
    ];
    for (const text of inputs) {
      const started = performance.now();
      const nodes = parseRichText(text);
      const took = performance.now() - started;
      expect(richSource(nodes)).toBe(text);
      expect(richDepth(nodes)).toBeLessThanOrEqual(MAX_NESTING + 1);
      expect(took, `${JSON.stringify(text.slice(0, 20))}…`).toBeLessThan(250);
    }
  });

  it('stays fast on random 16 KiB texts', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...atoms), { minLength: 4000, maxLength: 6000 }), (parts) => {
        const text = parts.join('').slice(0, 16 * 1024);
        const started = performance.now();
        expect(richSource(parseRichText(text))).toBe(text);
        expect(performance.now() - started).toBeLessThan(250);
      }),
      { numRuns: 20 },
    );
  });
});
