// Link previews in the composer and under messages (docs/SECURITY.md,
// "Formatting, links and link previews"). The sender's device fetches the
// preview (ChatService.LinkPreview, only with the setting on and never in a
// secret chat); it travels inside the encrypted message; receivers show it as
// the sender's claim, only while its URL is one of the message's links, and
// never fetch anything.

import type { LinkPreview } from './api';
import { parseRichText, type RichNode } from './richtext';

/** The composer waits this long after the last keystroke before asking Go. */
export const PREVIEW_DELAY_MS = 600;

/** The links of a text as the rich-text parser finds them (code holds none), in order. */
function links(nodes: readonly RichNode[], out: string[] = []): string[] {
  for (const n of nodes) {
    if (n.kind === 'link') out.push(n.text);
    else if ('children' in n) links(n.children, out);
  }
  return out;
}

/**
 * The URL a preview may be of for a link written as `text`: https links as
 * written, "www." ones with "https://" before them; null for anything else
 * (http:, mailto:), which is never fetched.
 */
function previewUrl(text: string): string | null {
  if (/^https:\/\//i.test(text)) return text;
  if (/^www\./i.test(text)) return `https://${text}`;
  return null;
}

/** The URL the composer previews: that of the text's first link, if https. */
export function firstPreviewUrl(text: string): string | null {
  const first = links(parseRichText(text))[0];
  return first === undefined ? null : previewUrl(first);
}

/** Whether a message's preview may show with its text: its URL is one of the text's links. */
export function previewBelongs(body: string, preview: LinkPreview | null): preview is LinkPreview {
  if (!preview) return false;
  return links(parseRichText(body)).some((l) => previewUrl(l) === preview.url);
}

/**
 * Follows the composer's text: PREVIEW_DELAY_MS after it stops changing, asks
 * `fetch` for the preview of its first https link (once per URL), and reports
 * the card to show (null: none). A removed preview stays removed for that URL.
 * A failed fetch shows nothing.
 */
export class PreviewWatcher {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #url: string | null = null;
  #removed = new Set<string>();
  #shown: LinkPreview | null = null;

  constructor(
    private readonly fetch: (url: string) => Promise<LinkPreview | null>,
    private readonly onchange: (p: LinkPreview | null) => void,
    private readonly delayMs = PREVIEW_DELAY_MS,
  ) {}

  /** The preview shown now, to send with the text. */
  get shown(): LinkPreview | null {
    return this.#shown;
  }

  /** The text changed. */
  update(text: string): void {
    clearTimeout(this.#timer);
    const url = firstPreviewUrl(text);
    if (url !== this.#url || url === null) this.#show(null);
    this.#url = url;
    if (url === null || this.#removed.has(url) || this.#shown) return;
    this.#timer = setTimeout(() => {
      this.fetch(url).then(
        (p) => {
          if (this.#url === url && !this.#removed.has(url) && p?.url === url) this.#show(p);
        },
        () => {},
      );
    }, this.delayMs);
  }

  /** The user removed the card: no preview for this URL while composing. */
  remove(): void {
    if (this.#url) this.#removed.add(this.#url);
    this.#show(null);
  }

  /** The text was sent or dropped: start afresh. */
  reset(): void {
    clearTimeout(this.#timer);
    this.#url = null;
    this.#removed.clear();
    this.#show(null);
  }

  #show(p: LinkPreview | null): void {
    if (p === this.#shown) return;
    this.#shown = p;
    this.onchange(p);
  }
}
