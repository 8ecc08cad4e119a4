import { describe, expect, it } from 'vitest';
import { sampleChat, sampleMessage } from './testing/fakeApi';
import {
  MORE_REACTIONS_SIGN,
  QUICK_REACTIONS,
  canDeleteForEveryone,
  contextOf,
  copiedText,
  forwardTargets,
  menuFor,
  namesText,
  reactionLabel,
  reactionWith,
} from './messageActions';

const direct = contextOf(sampleChat({ kind: 'direct' }), true);
const labels = (items: ReturnType<typeof menuFor>) => items.filter((i) => !i.emoji).map((i) => i.label);

describe('reactionWith', () => {
  it('writes an emoji from the picker as it already stands, so one emoji is one reaction', () => {
    const m = sampleMessage({
      reactions: [
        { emoji: '🐶', count: 1, mine: false, names: ['Bob'] },
        { emoji: '❤️', count: 1, mine: true, names: ['you'] },
      ],
    });
    expect(reactionWith(m, '👍️')).toEqual({ react: '👍', remove: false }); // the quick row's form
    expect(reactionWith(m, '🐶')).toEqual({ react: '🐶', remove: false }); // joins Bob's
    expect(reactionWith(m, '❤')).toEqual({ react: '❤️', remove: true }); // ours already: taken back
    expect(reactionWith(m, '🦀')).toEqual({ react: '🦀', remove: false });
  });
});

describe('menuFor', () => {
  it('offers reactions, then reply, edit, copy, forward, pin, select and delete on a sent message of ours', () => {
    const items = menuFor(sampleMessage({ outgoing: true, seq: 3 }), direct);
    expect(items.filter((i) => i.emoji).map((i) => i.emoji)).toEqual([...QUICK_REACTIONS, MORE_REACTIONS_SIGN]);
    expect(items.find((i) => i.action === 'more-reactions')?.label).toBe('More reactions…');
    expect(labels(items)).toEqual(['Reply', 'Edit', 'Copy text', 'Forward…', 'Pin', 'Select', 'Delete…']);
  });

  it("does not offer Edit on someone else's message, and Unpin on a pinned one", () => {
    expect(labels(menuFor(sampleMessage({ pinned: true }), direct))).toEqual(['Reply', 'Copy text', 'Forward…', 'Unpin', 'Select', 'Delete…']);
  });

  it('words a reaction this account made as its removal', () => {
    const m = sampleMessage({ reactions: [{ emoji: '👍', count: 1, mine: true, names: ['you'] }] });
    const thumbs = menuFor(m, direct).find((i) => i.emoji === '👍');
    expect(thumbs).toMatchObject({ label: 'Remove 👍 reaction', pressed: true, action: { react: '👍', remove: true } });
  });

  it('offers only Retry, Copy and Delete on a message that failed to send', () => {
    expect(labels(menuFor(sampleMessage({ outgoing: true, status: 'failed', seq: 0 }), direct))).toEqual(['Retry', 'Copy text', 'Delete…']);
  });

  it('offers only Select and Delete on a deleted message, and nothing to react with', () => {
    const items = menuFor(sampleMessage({ deleted: true, body: 'Message deleted' }), direct);
    expect(items.some((i) => i.emoji)).toBe(false);
    expect(labels(items)).toEqual(['Select', 'Delete…']);
  });

  it('offers no reactions, edits, forwards or pins in a secret chat', () => {
    const secret = contextOf(sampleChat({ kind: 'secret' }), true);
    expect(labels(menuFor(sampleMessage({ outgoing: true }), secret))).toEqual(['Reply', 'Copy text', 'Select', 'Delete…']);
  });

  it('offers nothing that writes in a read-only chat', () => {
    const channel = contextOf(sampleChat({ kind: 'channel', canPost: false, myRole: 'member' }), true);
    const items = menuFor(sampleMessage(), channel);
    expect(labels(items)).toEqual(['Copy text', 'Forward…', 'Select', 'Delete…']);
    expect(items.some((i) => i.emoji)).toBe(true); // subscribers react
  });
});

describe('canDeleteForEveryone', () => {
  it('is the author, or an owner or admin of a group', () => {
    expect(canDeleteForEveryone(sampleMessage({ outgoing: true }), direct)).toBe(true);
    expect(canDeleteForEveryone(sampleMessage(), direct)).toBe(false);
    const admin = contextOf(sampleChat({ kind: 'group', myRole: 'admin' }), true);
    const member = contextOf(sampleChat({ kind: 'group', myRole: 'member' }), true);
    expect(canDeleteForEveryone(sampleMessage(), admin)).toBe(true);
    expect(canDeleteForEveryone(sampleMessage(), member)).toBe(false);
    expect(canDeleteForEveryone(sampleMessage({ outgoing: true, status: 'failed' }), direct)).toBe(false);
  });
});

describe('reaction words', () => {
  it('names who reacted', () => {
    expect(namesText(['you'])).toBe('you');
    expect(namesText(['you', 'Bob'])).toBe('you and Bob');
    expect(namesText(['you', 'Bob', 'Carol'])).toBe('you, Bob and Carol');
    expect(reactionLabel({ emoji: '👍', count: 2, mine: true, names: ['you', 'Bob'] })).toBe('👍 2, you and Bob reacted');
  });
});

describe('copiedText', () => {
  it('copies one message as its text, several as "sender: text", skipping deleted ones', () => {
    const a = sampleMessage({ body: 'one', senderName: 'Bob' });
    const b = sampleMessage({ body: 'two', outgoing: true });
    const gone = sampleMessage({ body: 'Message deleted', deleted: true });
    expect(copiedText([a])).toBe('one');
    expect(copiedText([a, gone, b])).toBe('Bob: one\n\nYou: two');
  });
});

describe('forwardTargets', () => {
  it('lists cloud chats this account posts in', () => {
    const ok = sampleChat({ title: 'ok' });
    const secret = sampleChat({ kind: 'secret' });
    const channel = sampleChat({ kind: 'channel', canPost: false });
    const request = sampleChat({ hold: 'request' });
    expect(forwardTargets([ok, secret, channel, request])).toEqual([ok]);
  });
});
