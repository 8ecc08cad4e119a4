// Pure formatting and ordering rules of the messaging UI, kept out of the
// components so they are tested without rendering: the chat list's times,
// initials and colours, its order and filter, day separators, typing lines,
// and the handle check. Rules Go enforces too come from the generated contract
// (RULES, STATUS_ADVANCE), never from a copy kept here.

import { RULES, STATUS_ADVANCE, type ChatSummary, type Device, type Message, type MessageStatus } from './api';
import { dateTimeFormat, graphemeSegmenter, numberFormat } from './intl';

const DAY_MS = 86_400_000;

/** Midnight (local time) of the day that contains ms. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole local calendar days from `then` to `now` (0 = same day, 1 = yesterday). */
export function daysBetween(then: number, now: number): number {
  // Round, not floor: a day with a DST change is 23 or 25 hours long.
  return Math.round((startOfDay(now) - startOfDay(then)) / DAY_MS);
}

/** HH:MM in the user's locale (or the one given). */
export function formatClock(ms: number, locale?: string): string {
  return dateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/**
 * The time in a chat-list row, as Telegram shows it: today HH:MM, within the
 * last week the weekday, older the date. 0 (no message yet) shows nothing.
 */
export function formatChatTime(ms: number, now: number, locale?: string): string {
  if (ms <= 0) return '';
  const days = daysBetween(ms, now);
  if (days <= 0) return formatClock(ms, locale);
  if (days < 7) return dateTimeFormat(locale, { weekday: 'short' }).format(ms);
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return dateTimeFormat(
    locale,
    sameYear ? { day: 'numeric', month: 'short' } : { day: '2-digit', month: '2-digit', year: 'numeric' },
  ).format(ms);
}

/** The label of a day separator in a conversation: "Today", "Yesterday" or the date. */
export function dayLabel(ms: number, now: number, locale?: string): string {
  const days = daysBetween(ms, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return dateTimeFormat(
    locale,
    sameYear
      ? { weekday: 'long', day: 'numeric', month: 'long' }
      : { day: 'numeric', month: 'long', year: 'numeric' },
  ).format(ms);
}

/**
 * Up to two letters for an avatar: the first letters of the first two words
 * ("Ada Lovelace" → "AL"), a leading @ ignored, whole characters (emoji and
 * accents are not split).
 */
export function initials(name: string): string {
  const words = name
    .replace(/^@/, '')
    .split(/[\s_.-]+/u)
    .filter((w) => w !== '');
  const letters = words
    .slice(0, 2)
    .map((w) => firstGrapheme(w))
    .join('');
  return letters === '' ? '?' : letters.toLocaleUpperCase();
}

function firstGrapheme(s: string): string {
  const segmenter = graphemeSegmenter();
  if (segmenter) {
    for (const { segment } of segmenter.segment(s)) {
      return segment;
    }
    return '';
  }
  return Array.from(s)[0] ?? '';
}

/** How many avatar colours there are (app.css --avatar-0 … --avatar-6). */
export const AVATAR_COLOURS = 7;

/**
 * The avatar colour of an id (0 … AVATAR_COLOURS-1): derived from the id, so
 * a chat keeps its colour on every device and across renames.
 */
export function avatarColour(id: string): number {
  // FNV-1a: tiny, stable, and spreads hex ids evenly.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % AVATAR_COLOURS;
}

/** The chat list's order: pinned first, then most recent activity, then title. */
export function compareChats(a: ChatSummary, b: ChatSummary): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.lastMessageAt !== b.lastMessageAt) return b.lastMessageAt - a.lastMessageAt;
  return a.title.localeCompare(b.title) || a.id.localeCompare(b.id);
}

/** Chats whose title contains the filter, case- and accent-insensitively. */
export function filterChats<T extends Pick<ChatSummary, 'title'>>(chats: readonly T[], filter: string): T[] {
  const needle = fold(filter.trim());
  if (needle === '') return [...chats];
  return chats.filter((c) => fold(c.title).includes(needle));
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** The unread badge's text; large counts are capped so the badge stays small. */
export function unreadLabel(n: number): string {
  return n > 999 ? '999+' : String(n);
}

/** The window's title: "Hush", with the unread count in front when there is one. */
export function windowTitle(unread: number): string {
  return unread > 0 ? `(${unreadLabel(unread)}) Hush` : 'Hush';
}

/** "Bob is typing…", "Bob and Carol are typing…", "Bob and 2 others are typing…". */
export function typingText(names: readonly string[]): string {
  const [first, second] = names;
  if (first === undefined) return '';
  if (second === undefined) return `${first} is typing…`;
  if (names.length === 2) return `${first} and ${second} are typing…`;
  return `${first} and ${names.length - 1} others are typing…`;
}

/** What a chat's header says under the title when nobody is typing. */
export function memberCountText(kind: ChatSummary['kind'], count: number): string {
  if (kind === 'channel') return count === 1 ? '1 subscriber' : `${count} subscribers`;
  return count === 1 ? '1 member' : `${count} members`;
}

/** The accessible label (and tooltip) of each message status tick. */
export const STATUS_LABELS: Record<MessageStatus, string> = {
  pending: 'Pending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed to send',
};

/**
 * The status to keep when a new one arrives: Go's rule (policy.Advance),
 * looked up in the table the contract carries. Statuses only move forward,
 * and "failed" only replaces "pending".
 */
export function nextStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  return STATUS_ADVANCE[current][incoming];
}

/** A whole handle as Go accepts it, after upper case is folded (RULES). */
const handlePattern = new RegExp(`^${RULES.handleCharacters}+$`);

/** What the username field says about the length rule, e.g. "3–32". */
export const HANDLE_LENGTHS = `${RULES.handleMinLength}–${RULES.handleMaxLength}`;

/**
 * Why a typed handle cannot be valid, or '' when it may be: the rules Go
 * enforces (RULES), checked as the user types; Go checks them again.
 */
export function handleError(typed: string): string {
  const h = typed.trim().replace(/^@/, '');
  if (h === '') return 'Enter a username, such as @ada.';
  if (h.length < RULES.handleMinLength || h.length > RULES.handleMaxLength) {
    return `A username has ${RULES.handleMinLength} to ${RULES.handleMaxLength} characters.`;
  }
  // Go folds A–Z to lower case and nothing else.
  if (!handlePattern.test(h.replace(/[A-Z]/g, (c) => c.toLowerCase()))) {
    return 'A username may hold only letters a–z, digits and _.';
  }
  return '';
}

/** The form Go stores and compares: no @, lower case. */
export function normalizeHandle(typed: string): string {
  return typed.trim().replace(/^@/, '').toLowerCase();
}

/** A handle for people: always exactly one leading @; '' stays ''. */
export function displayHandle(handle: string): string {
  const h = handle.replace(/^@/, '');
  return h === '' ? '' : `@${h}`;
}

/**
 * Why a typed group or channel title cannot be valid, or '' when it may be:
 * not empty, at most RULES.maxTitleBytes of UTF-8. Go checks it again (one
 * line, no control characters) and its refusal is what the user then sees.
 */
export function titleError(typed: string, noun: 'group' | 'channel'): string {
  const t = typed.trim();
  if (t === '') return `Enter a name for the ${noun}.`;
  if (utf8Length(t) > RULES.maxTitleBytes) {
    return `The name is too long: at most ${RULES.maxTitleBytes} letters, fewer with accents or emoji.`;
  }
  return '';
}

/** The label (and tooltip) of the marker by a message time the relay supplied. */
export const CLOCK_OFF_LABEL = "Sent time from the relay: the sender's clock was off";

/** The length of `s` in bytes of UTF-8, as Go counts the limits in RULES named …Bytes. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * Texts longer than this (bytes of UTF-8) may not fit one message once
 * encoded: they go through ChatService.SendSplit, which sends one that fits
 * whole and cuts the others into parts of this size (Go's chat.SplitPartBytes).
 */
export const SPLIT_FROM_BYTES = RULES.maxMessageBytes - 1024;

/** The composer counts the text from 90% of one message. */
export const COUNTER_FROM_BYTES = Math.floor(RULES.maxMessageBytes * 0.9);

/** 15900 → "15 900" (no-break space), as the counter shows it. */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
}

/**
 * What the composer's counter says of a text of `bytes` bytes of UTF-8 ('' below
 * COUNTER_FROM_BYTES): how much of one message it takes, and that a longer text
 * is sent as several messages rather than refused.
 */
export function lengthCounter(bytes: number): string {
  if (bytes < COUNTER_FROM_BYTES) return '';
  const used = `${grouped(bytes)} / ${grouped(RULES.maxMessageBytes)}`;
  if (bytes <= RULES.maxMessageBytes) return `${used} — longer texts are sent as several messages`;
  // Go cuts at paragraphs, sentences or words: about this many parts, or one more.
  return `${used} — will be sent as about ${Math.ceil(bytes / SPLIT_FROM_BYTES)} messages`;
}

/** `s` cut to at most `max` characters (code points), with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}

/** How much of a message a reply quote shows. */
export const QUOTE_MAX_CHARS = 120;

/**
 * A text's first non-blank line, cut to QUOTE_MAX_CHARS, as written (a
 * service line). A message's quote is richtext.ts's quoteLine: without its
 * formatting markers (kept apart so this module stays small for the screens
 * before unlock).
 */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return truncate(line.trim(), QUOTE_MAX_CHARS);
}

/** Seconds for a countdown: "12 s", never negative. */
export function formatSeconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}

/** One row of a conversation: a day separator or a message. */
export type Row =
  | { kind: 'day'; key: string; label: string; at: number }
  | { kind: 'message'; key: string; message: Message; showSender: boolean };

/**
 * The rows of a conversation (messages oldest first): a separator before the
 * first message of each local day, and — in groups — the sender's name on
 * the first of a run of incoming messages from one person. Linear in the
 * number of messages, with one date computation per day, not per message.
 */
export function buildRows(
  messages: readonly Message[],
  now: number,
  showSenders: boolean,
  locale?: string,
): Row[] {
  const rows: Row[] = [];
  let dayEnd = -Infinity;
  let dayStart = Infinity;
  let prevSender: string | null = null;
  const usedDays = new Set<string>();
  for (const m of messages) {
    if (m.sentAt < dayStart || m.sentAt >= dayEnd) {
      const d = new Date(m.sentAt);
      d.setHours(0, 0, 0, 0);
      dayStart = d.getTime();
      d.setDate(d.getDate() + 1);
      dayEnd = d.getTime();
      // Keyed by the day and its first message: when older messages of the
      // same day are prepended, the separator that moves up above them is a
      // new row, so the list anchors the view on a message, not on a
      // separator that left its place (MessageList). A day seen twice (clocks
      // disagree) gets a distinct key.
      let key = `day:${dayStart}:${m.id}`;
      for (let n = 2; usedDays.has(key); n++) key = `day:${dayStart}:${n}`;
      usedDays.add(key);
      rows.push({ kind: 'day', key, label: dayLabel(m.sentAt, now, locale), at: dayStart });
      prevSender = null;
    }
    // A service line is the chat's, not its sender's: it shows no name and
    // ends a run, so the next message names its sender again.
    const showSender = showSenders && !m.outgoing && !m.service && m.senderId !== prevSender;
    prevSender = m.outgoing || m.service ? null : m.senderId;
    rows.push({ kind: 'message', key: m.id, message: m, showSender });
  }
  return rows;
}

/** A count with the locale's grouping: "3,400". */
export function formatCount(n: number, locale?: string): string {
  return numberFormat(locale).format(n);
}

/** How far a history sync got: "12 of 40 chats · 3,400 of 10,000 messages". */
export function syncProgressText(
  p: { chatsDone: number; chatsTotal: number; messagesDone: number; messagesTotal: number },
  locale?: string,
): string {
  const part = (done: number, total: number, one: string, many: string) =>
    `${formatCount(done, locale)} of ${formatCount(total, locale)} ${total === 1 ? one : many}`;
  return `${part(p.chatsDone, p.chatsTotal, 'chat', 'chats')} · ${part(p.messagesDone, p.messagesTotal, 'message', 'messages')}`;
}

/** The short name of a self-destruct time (RULES.secretTimerSeconds), as the timer menu lists it. */
export function secretTimerLabel(seconds: number): string {
  if (seconds <= 0) return 'Off';
  const [n, unit] = largestUnit(seconds);
  const short: Record<TimeUnit, string> = { second: 's', minute: 'min', hour: 'h', day: n === 1 ? 'day' : 'days', week: n === 1 ? 'week' : 'weeks' };
  return `${n} ${short[unit]}`;
}

/** A month as RULES.autoDeleteSeconds has it: 31 days. */
const AUTO_DELETE_MONTH = 31 * 86_400;

/** The short name of an auto-delete time (RULES.autoDeleteSeconds): "Off", "1 day", "1 week", "1 month". */
export function autoDeleteLabel(seconds: number): string {
  return seconds === AUTO_DELETE_MONTH ? '1 month' : secretTimerLabel(seconds);
}

/** The hint under a secret message whose countdown has not started (ttl > 0, not read yet). */
export function selfDestructHint(ttl: number): string {
  return `self-destructs ${secretTimerLabel(ttl)} after reading`;
}

type TimeUnit = 'second' | 'minute' | 'hour' | 'day' | 'week';

/** A whole number of the largest unit that divides seconds, else seconds. */
function largestUnit(seconds: number): [number, TimeUnit] {
  const units: [number, TimeUnit][] = [
    [604_800, 'week'],
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return [seconds / size, unit];
  }
  return [seconds, 'second'];
}

/**
 * The two largest parts of what is left, rounded up to a whole second (a
 * countdown never shows 0 while time is left): [[4, 'second']],
 * [[1, 'hour'], [2, 'minute']].
 */
function countdownParts(ms: number): [number, TimeUnit][] {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const sizes: [number, TimeUnit][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const parts: [number, TimeUnit][] = [];
  for (const [size, unit] of sizes) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0 || parts.length > 0) parts.push([n, unit]);
    if (parts.length === 2) break;
  }
  if (parts.length === 0) return [[0, 'second']];
  // "1h 0m" says no more than "1h".
  return parts.filter(([n], i) => i === 0 || n > 0);
}

/** A live countdown's text: "4s", "59s", "4m 5s", "1h 2m", "6d 23h". */
export function countdownText(ms: number): string {
  const letter: Record<TimeUnit, string> = { second: 's', minute: 'm', hour: 'h', day: 'd', week: 'w' };
  return countdownParts(ms)
    .map(([n, unit]) => `${n}${letter[unit]}`)
    .join(' ');
}

/** A live countdown's accessible name: "Disappears in 4 seconds", "… in 1 hour 2 minutes". */
export function countdownLabel(ms: number): string {
  const words = countdownParts(ms).map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`);
  return `Disappears in ${words.join(' ')}`;
}

/** A secret chat's name where the device matters: "Secret chat with Bob (Bob's laptop)". */
export function secretChatLabel(chat: Pick<ChatSummary, 'title' | 'secretDeviceName'>): string {
  const device = chat.secretDeviceName === '' ? '' : ` (${chat.secretDeviceName})`;
  return `Secret chat with ${chat.title}${device}`;
}

const PLATFORMS: Record<string, string> = {
  linux: 'Linux',
  windows: 'Windows',
  darwin: 'macOS',
  browser: 'Browser',
};

/** A device's name as lists show it; Go allows none. */
export function deviceNameOf(d: Pick<Device, 'name'>): string {
  return d.name.trim() === '' ? 'Unnamed device' : d.name;
}

/** A device's system as people call it: "Linux", "macOS". */
export function devicePlatform(d: Pick<Device, 'platform'>): string {
  return PLATFORMS[d.platform] ?? (d.platform || 'Unknown system');
}

/**
 * When a contact's device last wrote to this account, as Go knows it
 * (ContactDevices' lastSeen): "Last wrote today at 10:42", "Last wrote on
 * Monday, 30 November"; "" when it never did.
 */
export function lastWroteText(ms: number, now = Date.now()): string {
  if (ms <= 0) return '';
  const day = dayLabel(ms, now);
  if (day === 'Today') return `Last wrote today at ${formatClock(ms)}`;
  return day === 'Yesterday' ? 'Last wrote yesterday' : `Last wrote on ${day}`;
}

/** "Linked today", "Linked yesterday", "Linked on Monday, 30 November". */
export function linkedText(ms: number, now = Date.now()): string {
  const day = dayLabel(ms, now);
  return day === 'Today' || day === 'Yesterday' ? `Linked ${day.toLowerCase()}` : `Linked on ${day}`;
}
