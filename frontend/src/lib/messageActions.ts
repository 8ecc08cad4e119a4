// What the user can do to a message (its context menu, the selection
// toolbar), worded once: the menu's items for a message, the accessible name
// of a reaction, the text copied from several messages. Go decides whether an
// action is allowed (ChatService answers with the reason); these only choose
// what to offer.

import type { ChatKind, ChatSummary, Message, Reaction, Role } from './api';
import { emojiKey } from './emoji';

/** The emoji offered in a message's menu, as Telegram offers a short row. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

export type MessageAction =
  | 'reply'
  | 'edit'
  | 'copy'
  | 'forward'
  | 'pin'
  | 'unpin'
  | 'select'
  | 'delete'
  | 'retry'
  | 'more-reactions'
  | { react: string; remove: boolean };

export interface MenuItem {
  action: MessageAction;
  label: string;
  /** An emoji button of the reactions row rather than a line of the menu. */
  emoji?: string;
  /** On when this account already reacted with the emoji. */
  pressed?: boolean;
}

/** What the chat allows this account, as ChatSummary says it. */
export interface ActionContext {
  kind: ChatKind;
  canPost: boolean;
  myRole: Role | '';
  /** False where the chat is read-only for this account (a request, removed). */
  writable: boolean;
}

export function contextOf(chat: ChatSummary, writable: boolean): ActionContext {
  return { kind: chat.kind, canPost: chat.canPost, myRole: chat.myRole, writable };
}

/** A message that failed to send: only Retry and Delete make sense. */
export function failed(m: Message): boolean {
  return m.outgoing && m.status === 'failed';
}

/**
 * Whether this account may delete m for everyone: its own message, or, in a
 * group or channel, as owner (anyone's) or admin (Go decides; this is what
 * the dialog offers).
 */
export function canDeleteForEveryone(m: Message, ctx: ActionContext): boolean {
  if (m.deleted || !ctx.writable || m.status === 'failed' || m.status === 'pending') return false;
  if (ctx.kind === 'secret') return false;
  if (m.outgoing) return true;
  return (ctx.kind === 'group' || ctx.kind === 'channel') && (ctx.myRole === 'owner' || ctx.myRole === 'admin');
}

/** The items of m's menu, in order. */
export function menuFor(m: Message, ctx: ActionContext): MenuItem[] {
  if (failed(m)) {
    return [
      { action: 'retry', label: 'Retry' },
      { action: 'copy', label: 'Copy text' },
      { action: 'delete', label: 'Delete…' },
    ];
  }
  const cloud = ctx.kind !== 'secret';
  const live = !m.deleted && !m.service;
  const items: MenuItem[] = [];
  if (live && ctx.writable && cloud) {
    for (const emoji of QUICK_REACTIONS) {
      const pressed = m.reactions.some((r) => r.emoji === emoji && r.mine);
      items.push({
        action: { react: emoji, remove: pressed },
        label: pressed ? `Remove ${emoji} reaction` : `React with ${emoji}`,
        emoji,
        pressed,
      });
    }
    items.push({ action: 'more-reactions', label: 'More reactions…', emoji: MORE_REACTIONS_SIGN });
  }
  if (live && ctx.writable && ctx.canPost) items.push({ action: 'reply', label: 'Reply' });
  if (live && ctx.writable && cloud && m.outgoing && m.seq > 0) items.push({ action: 'edit', label: 'Edit' });
  if (live && m.body !== '') items.push({ action: 'copy', label: 'Copy text' });
  if (live && cloud && m.body !== '') items.push({ action: 'forward', label: 'Forward…' });
  if (live && ctx.writable && cloud && ctx.canPost && m.seq > 0) {
    items.push(m.pinned ? { action: 'unpin', label: 'Unpin' } : { action: 'pin', label: 'Pin' });
  }
  if (!m.service) items.push({ action: 'select', label: 'Select' });
  if (!m.service) items.push({ action: 'delete', label: 'Delete…' });
  return items;
}

/** What the reactions row shows for "More reactions…" (the emoji picker). */
export const MORE_REACTIONS_SIGN = '+';

/**
 * The reaction an emoji from the picker makes on m: written as the same emoji
 * already stands on the message or in the quick row (with or without U+FE0F, so
 * one emoji never becomes two reactions), and taken back if this account
 * already reacted with it.
 */
export function reactionWith(m: Message, unicode: string): { react: string; remove: boolean } {
  const key = emojiKey(unicode);
  const on = m.reactions.find((r) => emojiKey(r.emoji) === key);
  const quick = QUICK_REACTIONS.find((q) => emojiKey(q) === key);
  return { react: on?.emoji ?? quick ?? unicode, remove: on?.mine ?? false };
}

/** Names as a sentence: "you", "you and Bob", "you, Bob and Carol". */
export function namesText(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** A reaction's accessible name: "👍 2, you and Bob reacted". */
export function reactionLabel(r: Reaction): string {
  const who = namesText(r.names);
  return who === '' ? `${r.emoji} ${r.count}` : `${r.emoji} ${r.count}, ${who} reacted`;
}

/** What Copy puts on the clipboard for several messages: each as "sender: text", oldest first. */
export function copiedText(messages: readonly Message[]): string {
  const live = messages.filter((m) => !m.deleted && !m.service && m.body !== '');
  if (live.length === 1) return live[0]!.body;
  return live.map((m) => `${m.outgoing ? 'You' : m.senderName || 'Someone'}: ${m.body}`).join('\n\n');
}

/** Writes text to the clipboard; false where the browser refuses. */
export async function copyToClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The chats a message can be forwarded to: cloud chats this account posts in. */
export function forwardTargets(chats: readonly ChatSummary[]): ChatSummary[] {
  return chats.filter((c) => c.kind !== 'secret' && c.canPost && c.hold !== 'request' && c.hold !== 'removed' && c.hold !== 'unavailable' && c.hold !== 'tampered');
}
