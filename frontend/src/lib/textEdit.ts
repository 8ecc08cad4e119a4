// Edits of a message box made for the user: wrapping the selection in the
// markers of lib/richtext.ts (Ctrl+B, Ctrl+I, Ctrl+E) and inserting at the
// caret (the emoji picker). Pure functions compute the edit; applyEdit makes
// it the way typing would, so the browser's undo takes it back.

import { formatShortcut, type TextFormat } from './shortcuts';

/** Replace from..to with insert, then select selStart..selEnd (offsets in the new text). */
export interface TextEdit {
  from: number;
  to: number;
  insert: string;
  selStart: number;
  selEnd: number;
}

/** The marker each format is typed with (docs/PROTOCOL.md, "Message content"). */
export const FORMAT_MARKERS: Readonly<Record<TextFormat, string>> = { bold: '**', italic: '_', code: '`' };

const CODE_FENCE = '```';

/**
 * Wraps start..end of value in the format's markers, or takes them away when
 * the selection is already wrapped. Spaces at the selection's edges stay
 * outside the markers (a marker beside a space does not count); with nothing
 * selected, a pair goes in with the caret between. Code over several lines
 * becomes a code block.
 */
export function formatEdit(value: string, start: number, end: number, format: TextFormat): TextEdit {
  const selected = value.slice(start, end);
  const multiline = format === 'code' && selected.includes('\n');
  const open = multiline ? `${CODE_FENCE}\n` : FORMAT_MARKERS[format];
  const close = multiline ? `\n${CODE_FENCE}` : FORMAT_MARKERS[format];
  // Already wrapped, the markers inside the selection or just around it: unwrap.
  if (selected.length > open.length + close.length && selected.startsWith(open) && selected.endsWith(close)) {
    const inner = selected.slice(open.length, selected.length - close.length);
    return { from: start, to: end, insert: inner, selStart: start, selEnd: start + inner.length };
  }
  if (
    start !== end &&
    value.slice(start - open.length, start) === open &&
    value.slice(end, end + close.length) === close &&
    start >= open.length
  ) {
    return {
      from: start - open.length,
      to: end + close.length,
      insert: selected,
      selStart: start - open.length,
      selEnd: start - open.length + selected.length,
    };
  }
  const lead = /^\s*/.exec(selected)![0].length;
  const trail = selected.trim() === '' ? 0 : /\s*$/.exec(selected)![0].length;
  const from = start + lead;
  const to = Math.max(from, end - trail);
  const inner = value.slice(from, to);
  const insert = `${open}${inner}${close}`;
  return { from, to, insert, selStart: from + open.length, selEnd: from + open.length + inner.length };
}

/** Inserts text in place of start..end, the caret after it. */
export function insertEdit(start: number, end: number, insert: string): TextEdit {
  const at = start + insert.length;
  return { from: start, to: end, insert, selStart: at, selEnd: at };
}

/** The text after an edit (what applyEdit leaves in the box). */
export function applied(value: string, edit: TextEdit): string {
  return value.slice(0, edit.from) + edit.insert + value.slice(edit.to);
}

/**
 * Makes the edit in a text box as typing would: through the browser's
 * insertText, which keeps undo, where it has one; else by setting the value
 * and firing input, so bound state and input handlers follow either way.
 */
export function applyEdit(box: HTMLTextAreaElement | HTMLInputElement, edit: TextEdit): void {
  const expected = applied(box.value, edit);
  box.focus();
  box.setSelectionRange(edit.from, edit.to);
  let done = false;
  try {
    // Deprecated, yet the only way to edit a text box that the undo stack sees.
    done = typeof document.execCommand === 'function' && document.execCommand('insertText', false, edit.insert);
  } catch {
    done = false;
  }
  if (!done || box.value !== expected) {
    box.value = expected;
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }
  box.setSelectionRange(edit.selStart, edit.selEnd);
}

/**
 * Ctrl+B, Ctrl+I or Ctrl+E (Cmd on macOS) in a text box: wraps its selection
 * in the format's markers. True when the key was one of them (and is handled).
 */
export function handleFormatKey(e: KeyboardEvent, box: HTMLTextAreaElement | HTMLInputElement): boolean {
  const format = formatShortcut(e);
  if (format === null || e.isComposing) return false;
  e.preventDefault();
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? start;
  applyEdit(box, formatEdit(box.value, start, end, format));
  return true;
}
