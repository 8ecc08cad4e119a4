// Finds the web and mail addresses in a message's text, so they show as links.
// A message is written by someone else: what becomes a link is decided here,
// narrowly, and nothing of it is ever run.
//
// - Only http:, https: and mailto: (written out, or "www." taken as https:).
//   javascript:, data:, vbscript:, file: and any other scheme stay text.
// - The href is the URL as the browser parses it (URL.href), never the raw
//   text: a host in another script (a homograph) is shown in its punycode
//   form in the link's title, which is what the browser will visit.
// - An address carrying a user name ("https://bank.com@evil.example") stays
//   text: it reads as one host and goes to another.
// - Control and text-direction characters end an address (they can make it
//   read differently from what it is).
// - Trailing punctuation (".", ",", ")" without its "(" …) is not part of it.

/** A piece of a message's text: plain, or a link with the address it opens. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** Where a link may lead: the schemes a message may link to. */
export const LINK_SCHEMES: readonly string[] = ['http:', 'https:', 'mailto:'];

/** Longest address made into a link; longer ones stay text. */
export const MAX_LINK_CHARS = 2048;

// A candidate starts at a scheme or "www." after a word boundary, and runs to
// whitespace, a control or text-direction character, or a quote/angle bracket.
const CANDIDATE =
  /(?<![\p{L}\p{N}@.\-/])(?:https?:\/\/|mailto:|www\.)[^\s\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069<>"'`]+/giu;

/** What ends a sentence rather than an address, when it stands last. */
const TRAILING = new Set(['.', ',', ':', ';', '!', '?', "'", '"', '*', '_', '~']);

/**
 * Drops what ends a sentence rather than the address: punctuation, an unmatched
 * ")" or "]". One character at a time from the end, with the brackets counted
 * once: linear, however many of them an address ends with.
 */
function trimEnd(s: string): string {
  const open = { ')': count(s, '('), ']': count(s, '[') };
  const close = { ')': count(s, ')'), ']': count(s, ']') };
  let end = s.length;
  while (end > 0) {
    const c = s[end - 1]!;
    if (TRAILING.has(c)) {
      end--;
    } else if ((c === ')' || c === ']') && open[c] < close[c]) {
      close[c]--;
      end--;
    } else {
      break;
    }
  }
  return s.slice(0, end);
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/**
 * The address `text` opens when linked, or null when it must stay text.
 * Exported for the tests and for whoever opens a link (it checks again).
 */
export function linkTarget(text: string): string | null {
  if (text.length === 0 || text.length > MAX_LINK_CHARS) return null;
  const written = /^www\./i.test(text) ? `https://${text}` : text;
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return null;
  }
  if (!LINK_SCHEMES.includes(url.protocol)) return null;
  if (url.protocol === 'mailto:') {
    // One plain address: no headers (?cc=, ?body=) smuggled into a mail.
    return /^[^\s@?#/:]+@[^\s@?#/:]+\.[^\s@?#/:]+$/.test(decodeURIComponentSafe(url.pathname)) && url.search === ''
      ? url.href
      : null;
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  // "www." alone, or a host with no dot ("http://intranet") written in a message: keep
  // the dot rule for www. only, where the text is all there is to go on.
  if (written !== text && !url.hostname.includes('.', 4)) return null;
  return url.href;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Splits a message's text into plain parts and links, in order; joined, they are the text. */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const raw = trimEnd(match[0]);
    const href = linkTarget(raw);
    if (href === null) continue;
    if (start > at) parts.push({ kind: 'text', text: text.slice(at, start) });
    parts.push({ kind: 'link', text: raw, href });
    at = start + raw.length;
  }
  if (at < text.length || parts.length === 0) parts.push({ kind: 'text', text: text.slice(at) });
  return parts;
}
