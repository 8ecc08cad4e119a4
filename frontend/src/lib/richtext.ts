// A message's text with the lightweight markers people type, read as a tree
// of spans (docs/PROTOCOL.md, "Message content"). What is sent is the text as
// typed; these markers are only how it is shown, and a client that does not
// read them shows them as they are.
//
//   **bold**   *italic*  _italic_   ~~struck~~   ***bold italic***
//   `code`     ``code with a ` inside``          ```a code block```
//
// Rules, chosen so ordinary text is never mangled:
// - A marker opens only where the next character is not a space and the one
//   before is not a letter or digit; it closes only where the one before is
//   not a space and the next is not a letter or digit. So `snake_case_names`,
//   `2*3*4`, `a * b`, and a list written with "* " stay as typed. Letters of
//   scripts written without spaces (Chinese, Japanese, Thai) do not count as
//   letters here, so `中文**强调**中文` is bold.
// - `__` means nothing (Python's `__init__`), nor does a single `~`
//   ("~5 min"), nor a run of four or more `*`.
// - A closer pairs with the nearest open marker of its own kind; markers
//   opened between them stay as typed (spans never cross). A marker that
//   finds no partner stays as typed.
// - Backticks come first: a run of one or two opens inline code, three or more
//   a code block, each closed by the next run of the same length; inside, the
//   text is shown exactly as typed (no markers, no links). A line break right
//   after a block's opening run or right before its closing run belongs to
//   the run.
// - Addresses are found by lib/links.ts before any marker, so an address
//   with `_` or `*` in it stays whole.
// - Spans nest at most MAX_NESTING deep; deeper markers stay as typed.
//
// The result is data, never markup: components render it with elements,
// and nothing of the text is ever parsed as HTML. Time is linear in the
// text's length: every marker is pushed and popped at most once.

import { firstLine } from './format';
import { splitLinks } from './links';

/** A span that wraps others: bold, italic, struck through. */
export type StyleKind = 'strong' | 'em' | 'strike';

/** One node of a message's text. Leaves carry the characters shown. */
export type RichNode =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  /** Inline code (`open`/`close` are the backticks as typed). */
  | { kind: 'code'; text: string; open: string; close: string }
  /** A code block: whitespace kept, monospace, on lines of its own. */
  | { kind: 'pre'; text: string; open: string; close: string }
  | { kind: StyleKind; open: string; close: string; children: RichNode[] };

/** How deep bold, italic and struck spans may nest in one another. */
export const MAX_NESTING = 5;

/** Longer texts are shown with links only (a message holds at most 16 KiB). */
export const MAX_RICH_CHARS = 65_536;

/** What a run of marker characters means, by character and length. */
const KINDS: Readonly<Record<string, readonly StyleKind[]>> = {
  '*1': ['em'],
  '*2': ['strong'],
  '*3': ['strong', 'em'],
  '_1': ['em'],
  '~2': ['strike'],
};

const SPACE = /^\s$/u;
const WORD = /^[\p{L}\p{N}\p{M}]$/u;
// Scripts written without spaces between words: a marker beside them is at a boundary.
const UNSPACED = /^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]$/u;

function isWord(c: string | undefined): boolean {
  return c !== undefined && WORD.test(c) && !UNSPACED.test(c);
}

function isSpace(c: string | undefined): boolean {
  return c === undefined || SPACE.test(c);
}

/** The character (code point) that ends just before `at`, or undefined at the start. */
function charBefore(s: string, at: number): string | undefined {
  if (at <= 0) return undefined;
  const low = s.charCodeAt(at - 1);
  const high = at >= 2 ? s.charCodeAt(at - 2) : 0;
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  const start = pair ? at - 2 : at - 1;
  return String.fromCodePoint(s.codePointAt(start)!);
}

/** The character (code point) that starts at `at`, or undefined at the end. */
function charAt(s: string, at: number): string | undefined {
  return at < s.length ? String.fromCodePoint(s.codePointAt(at)!) : undefined;
}

/** A stretch of the text before markers are read: plain text, or code taken whole. */
type Piece = { kind: 'plain'; start: number; end: number } | Extract<RichNode, { kind: 'code' | 'pre' }>;

/** Splits the text at its code spans and blocks (backtick runs paired by length). */
function codePieces(s: string): Piece[] {
  const runs: { at: number; len: number }[] = [];
  for (const m of s.matchAll(/`+/g)) runs.push({ at: m.index, len: m[0].length });
  // For each length, the runs of that length in order, and how far a search got.
  const byLen = new Map<number, { list: number[]; next: number }>();
  runs.forEach((r, i) => {
    const entry = byLen.get(r.len) ?? { list: [], next: 0 };
    entry.list.push(i);
    byLen.set(r.len, entry);
  });
  const pieces: Piece[] = [];
  let plainFrom = 0;
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!;
    const same = byLen.get(open.len)!;
    while (same.next < same.list.length && same.list[same.next]! <= i) same.next++;
    if (same.next === same.list.length) continue; // no closer: the run is text
    const j = same.list[same.next]!;
    const close = runs[j]!;
    if (open.at > plainFrom) pieces.push({ kind: 'plain', start: plainFrom, end: open.at });
    pieces.push(codeNode(s, open.at, close.at, open.len));
    plainFrom = close.at + close.len;
    i = j;
  }
  if (plainFrom < s.length || pieces.length === 0) pieces.push({ kind: 'plain', start: plainFrom, end: s.length });
  return pieces;
}

function codeNode(s: string, at: number, closeAt: number, len: number): Piece {
  const fence = s.slice(at, at + len);
  let body = s.slice(at + len, closeAt);
  if (len < 3) return { kind: 'code', text: body, open: fence, close: fence };
  let open = fence;
  let close = fence;
  const lead = /^\r?\n/.exec(body)?.[0] ?? '';
  open += lead;
  body = body.slice(lead.length);
  const trail = /\r?\n$/.exec(body)?.[0] ?? '';
  close = trail + close;
  body = body.slice(0, body.length - trail.length);
  return { kind: 'pre', text: body, open, close };
}

/** A piece of a segment, in order: text, a leaf taken whole, or a run of markers. */
type Token =
  | { t: 'text'; text: string }
  | { t: 'leaf'; node: RichNode }
  | { t: 'mark'; text: string; key: string; canOpen: boolean; canClose: boolean };

const MARKS = /\*+|_+|~+/g;

/** The tokens of plain text from..to of s: links found first, then marker runs. */
function pushPlain(s: string, from: number, to: number, out: Token[]): void {
  let at = from;
  for (const part of splitLinks(s.slice(from, to))) {
    if (part.kind === 'link') {
      out.push({ t: 'leaf', node: part });
    } else {
      let last = 0;
      for (const m of part.text.matchAll(MARKS)) {
        if (m.index > last) out.push({ t: 'text', text: part.text.slice(last, m.index) });
        const start = at + m.index;
        const end = start + m[0].length;
        const key = `${m[0][0]}${m[0].length}`;
        const known = key in KINDS;
        const before = charBefore(s, start);
        const after = charAt(s, end);
        out.push({
          t: 'mark',
          text: m[0],
          key,
          canOpen: known && !isSpace(after) && !isWord(before),
          canClose: known && !isSpace(before) && !isWord(after),
        });
        last = m.index + m[0].length;
      }
      if (last < part.text.length) out.push({ t: 'text', text: part.text.slice(last) });
    }
    at += part.text.length;
  }
}

/** Pairs the marker tokens: for each token index that opens a span, the index that closes it. */
function pairMarks(tokens: readonly Token[]): Map<number, number> {
  const pairs = new Map<number, number>();
  // Open markers not yet closed; `inner` is how deep the spans closed inside reach.
  const stack: { tok: number; key: string; inner: number }[] = [];
  // Per kind, the stack positions of its open markers (the nearest last).
  const open = new Map<string, number[]>();
  const ofKey = (key: string): number[] => {
    let list = open.get(key);
    if (!list) open.set(key, (list = []));
    return list;
  };
  tokens.forEach((tok, i) => {
    if (tok.t !== 'mark') return;
    const mine = ofKey(tok.key);
    if (tok.canClose && mine.length > 0) {
      const at = mine[mine.length - 1]!;
      let inner = 0;
      // Markers opened after the partner stay text: spans never cross.
      while (stack.length - 1 > at) {
        const dropped = stack.pop()!;
        ofKey(dropped.key).pop();
        inner = Math.max(inner, dropped.inner);
      }
      const partner = stack[at]!;
      inner = Math.max(inner, partner.inner);
      const depth = inner + KINDS[tok.key]!.length;
      if (depth <= MAX_NESTING) {
        stack.pop();
        mine.pop();
        pairs.set(partner.tok, i);
        const outer = stack[stack.length - 1];
        if (outer) outer.inner = Math.max(outer.inner, depth);
        return;
      }
      partner.inner = inner; // too deep: this closer stays text
    }
    if (tok.canOpen) {
      stack.push({ tok: i, key: tok.key, inner: 0 });
      mine.push(stack.length - 1);
    }
  });
  return pairs;
}

/** Appends a node, joining it to the text before it. */
function append(into: RichNode[], node: RichNode): void {
  const last = into[into.length - 1];
  if (node.kind === 'text' && last?.kind === 'text') {
    into[into.length - 1] = { kind: 'text', text: last.text + node.text };
  } else if (node.kind !== 'text' || node.text !== '') {
    into.push(node);
  }
}

/** The nodes of one segment's tokens, spans built from the pairs. */
function buildTree(tokens: readonly Token[], pairs: ReadonlyMap<number, number>, into: RichNode[]): void {
  // Open spans: the children being filled, and the token that closes each.
  const open: { close: number; children: RichNode[] }[] = [{ close: -1, children: into }];
  tokens.forEach((tok, i) => {
    const here = open[open.length - 1]!;
    if (tok.t === 'leaf') return append(here.children, tok.node);
    if (tok.t === 'text') return append(here.children, { kind: 'text', text: tok.text });
    const close = pairs.get(i);
    if (close !== undefined) {
      // "***": bold outside ("**"), italic inside ("*").
      let children = here.children;
      const kinds = KINDS[tok.key]!;
      kinds.forEach((kind, k) => {
        const mark = k === kinds.length - 1 ? tok.text.slice(k * 2) : '**';
        const node: RichNode = { kind, open: mark, close: mark, children: [] };
        children.push(node);
        children = node.children;
      });
      open.push({ close, children });
      return;
    }
    if (here.close === i) {
      open.pop();
      return;
    }
    append(here.children, { kind: 'text', text: tok.text });
  });
}

/**
 * The tree of a message's text. Joined with their markers (richSource), the
 * nodes give back the text exactly; their leaves alone (plainText) are the
 * text without the markers that were read as formatting.
 */
export function parseRichText(text: string): RichNode[] {
  if (text.length > MAX_RICH_CHARS) return splitLinks(text);
  const nodes: RichNode[] = [];
  let tokens: Token[] = [];
  const flush = (): void => {
    buildTree(tokens, pairMarks(tokens), nodes);
    tokens = [];
  };
  for (const piece of codePieces(text)) {
    if (piece.kind === 'plain') {
      pushPlain(text, piece.start, piece.end, tokens);
    } else if (piece.kind === 'code') {
      tokens.push({ t: 'leaf', node: piece });
    } else {
      // A block ends every span: markers never pair across it.
      flush();
      nodes.push(piece);
    }
  }
  flush();
  return nodes;
}

/** The characters a reader sees: the leaves' text, without markers. */
export function plainText(nodes: readonly RichNode[]): string {
  let out = '';
  for (const n of nodes) out += 'children' in n ? plainText(n.children) : n.text;
  return out;
}

/** The text as typed: every node with its markers (the inverse of parseRichText). */
export function richSource(nodes: readonly RichNode[]): string {
  let out = '';
  for (const n of nodes) {
    if ('children' in n) out += n.open + richSource(n.children) + n.close;
    else if (n.kind === 'code' || n.kind === 'pre') out += n.open + n.text + n.close;
    else out += n.text;
  }
  return out;
}

/** A message's text without its formatting markers (previews, quotes). */
export function stripMarkers(text: string): string {
  return plainText(parseRichText(text));
}

/**
 * A message as a one-line quote (a reply, the pinned bar, its accessible
 * name): the first non-blank line of what it shows, without its markers.
 */
export function quoteLine(body: string): string {
  return firstLine(stripMarkers(body));
}

/** A run of text, highlighted or not (a search snippet). */
export interface TextRun {
  text: string;
  hit: boolean;
}

/**
 * The runs with the formatting markers of their joined text taken out; the
 * highlights stay on the characters they covered. Runs left empty are dropped.
 */
export function stripMarkersFromRuns(runs: readonly TextRun[]): TextRun[] {
  const joined = runs.map((r) => r.text).join('');
  const markers = markerRanges(parseRichText(joined));
  const out: TextRun[] = [];
  let at = 0;
  let m = 0;
  for (const run of runs) {
    let kept = '';
    const end = at + run.text.length;
    let from = at;
    while (from < end) {
      while (m < markers.length && markers[m]![1] <= from) m++;
      const marker = markers[m];
      if (!marker || marker[0] >= end) {
        kept += joined.slice(from, end);
        break;
      }
      kept += joined.slice(from, Math.max(from, marker[0]));
      from = Math.min(end, marker[1]);
    }
    if (kept !== '') out.push({ text: kept, hit: run.hit });
    at = end;
  }
  return out;
}

/** Where the markers stand in the text the nodes came from: [start, end) ranges, in order. */
export function markerRanges(nodes: readonly RichNode[]): [number, number][] {
  const out: [number, number][] = [];
  const mark = (at: number, s: string): number => {
    if (s !== '') out.push([at, at + s.length]);
    return at + s.length;
  };
  const walk = (list: readonly RichNode[], at: number): number => {
    for (const n of list) {
      if ('children' in n) at = mark(walk(n.children, mark(at, n.open)), n.close);
      else if (n.kind === 'code' || n.kind === 'pre') at = mark(mark(at, n.open) + n.text.length, n.close);
      else at += n.text.length;
    }
    return at;
  };
  walk(nodes, 0);
  return out;
}

/** How deep the nodes nest (a leaf alone is 1). */
export function richDepth(nodes: readonly RichNode[]): number {
  let deepest = 0;
  for (const n of nodes) deepest = Math.max(deepest, 'children' in n ? 1 + richDepth(n.children) : 1);
  return deepest;
}
