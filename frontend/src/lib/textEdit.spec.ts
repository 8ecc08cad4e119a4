import { describe, expect, it } from 'vitest';
import { parseRichText } from './richtext';
import { applied, applyEdit, formatEdit, insertEdit } from './textEdit';
import type { TextFormat } from './shortcuts';

/** value with "[" and "]" marking the selection → the text after the edit, the new selection marked the same way. */
function run(marked: string, format: TextFormat): string {
  const start = marked.indexOf('[');
  const end = marked.indexOf(']') - 1;
  const value = marked.replace('[', '').replace(']', '');
  const edit = formatEdit(value, start, end, format);
  const next = applied(value, edit);
  return `${next.slice(0, edit.selStart)}[${next.slice(edit.selStart, edit.selEnd)}]${next.slice(edit.selEnd)}`;
}

describe('formatEdit', () => {
  it.each<[string, TextFormat, string]>([
    ['say [hello] now', 'bold', 'say **[hello]** now'],
    ['say [hello] now', 'italic', 'say _[hello]_ now'],
    ['run [make test]', 'code', 'run `[make test]`'],
    ['[]', 'bold', '**[]**'],
    ['a []b', 'italic', 'a _[]_b'],
    ['say[ hello ]now', 'bold', 'say **[hello]** now'],
    ['[fn a() {\n  b()\n}]', 'code', '```\n[fn a() {\n  b()\n}]\n```'],
    ['say **[hello]** now', 'bold', 'say [hello] now'],
    ['say [**hello**] now', 'bold', 'say [hello] now'],
    ['say _[hi]_', 'italic', 'say [hi]'],
    ['```\n[x\ny]\n```', 'code', '[x\ny]'],
  ])('%j with %s → %j', (marked, format, want) => {
    expect(run(marked, format)).toBe(want);
  });

  it('makes what the parser reads as that format', () => {
    const kinds = { bold: 'strong', italic: 'em', code: 'code' } as const;
    for (const format of ['bold', 'italic', 'code'] as const) {
      const value = 'please read this today';
      const text = applied(value, formatEdit(value, 7, 17, format));
      expect(parseRichText(text).map((n) => n.kind)).toEqual(['text', kinds[format], 'text']);
    }
  });
});

describe('applyEdit', () => {
  it('edits the box, fires input and selects the result', () => {
    const box = document.createElement('textarea');
    document.body.append(box);
    box.value = 'hi there';
    const seen: string[] = [];
    box.addEventListener('input', () => seen.push(box.value));
    applyEdit(box, insertEdit(2, 2, ' 😀'));
    expect(box.value).toBe('hi 😀 there');
    expect(seen).toEqual(['hi 😀 there']);
    expect([box.selectionStart, box.selectionEnd]).toEqual([5, 5]);
    box.remove();
  });
});
