import { describe, expect, it, vi } from 'vitest';
import type { Message, MessagePage } from '../api';
import { sampleMessage } from '../testing/fakeApi';
import { ConversationStore, JUMP_PAGE_SIZE, MAX_EARLY_STATUSES, PAGE_SIZE } from './conversation.svelte';

const chatId = 'c'.repeat(32);

function history(n: number): Message[] {
  return Array.from({ length: n }, (_, i) => sampleMessage({ id: `m${i}`, chatId, seq: i + 1 }));
}

function pager(all: Message[]) {
  return vi.fn(async (before: string, limit: number): Promise<MessagePage> => {
    const end = before === '' ? all.length : all.findIndex((m) => m.id === before);
    const start = Math.max(0, end - limit);
    return { messages: all.slice(start, end).reverse(), nextBefore: start > 0 ? all[start]!.id : '' };
  });
}

describe('ConversationStore', () => {
  it('pages backwards to the start, oldest first, once per page', async () => {
    const load = pager(history(120));
    const c = new ConversationStore(chatId, load);
    await c.loadLatest();
    await c.loadLatest(); // no second read
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenLastCalledWith('', PAGE_SIZE);
    expect(c.messages.map((m) => m.id).slice(0, 2)).toEqual(['m70', 'm71']);
    await Promise.all([c.loadOlder(), c.loadOlder()]); // one in flight at a time
    expect(load).toHaveBeenCalledTimes(2);
    await c.loadOlder();
    expect(c.messages).toHaveLength(120);
    expect(c.messages[0]!.id).toBe('m0');
    expect(c.hasOlder).toBe(false);
    await c.loadOlder();
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('shows a message once whether it came by page, event or Send', async () => {
    const all = history(3);
    const c = new ConversationStore(chatId, pager(all));
    c.add(all[2]!); // the event beat the first page
    await c.loadLatest();
    c.add({ ...all[1]!, status: 'read' });
    expect(c.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2']);
    expect(c.get('m1')?.status).toBe('read');
    c.add(sampleMessage({ chatId: 'other' }));
    expect(c.messages).toHaveLength(3);
  });

  it('keeps a status that arrived before its message', () => {
    const c = new ConversationStore(chatId, pager([]));
    c.applyStatus({ chatId, messageId: 'fast', status: 'sent', seq: 5, expiresAt: 0 });
    c.add(sampleMessage({ id: 'fast', chatId, outgoing: true, status: 'pending', seq: 0 }));
    expect(c.get('fast')).toMatchObject({ status: 'sent', seq: 5, expiresAt: 0 });
  });

  it('keeps a countdown whose read report beat the answer to Send', () => {
    // A secret message read so fast that the sender's read receipt (which starts
    // its countdown) arrives before Go answers the Send that wrote it.
    const c = new ConversationStore(chatId, pager([]));
    const local = sampleMessage({ id: 'local-1', chatId, outgoing: true, status: 'pending', seq: 0, ttl: 30 });
    c.add(local);
    const expiresAt = Date.now() + 30_000;
    c.applyStatus({ chatId, messageId: 'quick', status: 'read', seq: 4, expiresAt });
    c.settle('local-1', { ...local, id: 'quick', status: 'sent', seq: 4 });
    expect(c.get('quick')).toMatchObject({ status: 'read', seq: 4, expiresAt });
  });

  it('carries a delivered or read report back to earlier own messages, never forward', async () => {
    const mine = (id: string, seq: number, status: Message['status']) =>
      sampleMessage({ id, chatId, outgoing: true, seq, status });
    const all = [
      mine('lost', 1, 'sent'), // its receipt was lost with a crashed relay
      sampleMessage({ id: 'theirs', chatId, outgoing: false, seq: 2, status: 'delivered' }),
      mine('pending', 0, 'pending'),
      mine('failed', 0, 'failed'),
      mine('read-me', 3, 'sent'),
      mine('later', 4, 'sent'),
    ];
    const c = new ConversationStore(chatId, pager(all));
    await c.loadLatest();
    c.applyStatus({ chatId, messageId: 'read-me', status: 'read', seq: 3, expiresAt: 0 });
    const status = (id: string) => c.get(id)?.status;
    expect(status('lost')).toBe('read');
    expect(status('read-me')).toBe('read');
    expect(status('later')).toBe('sent'); // a position covers only what is before it
    expect(status('pending')).toBe('pending'); // no place in the log yet
    expect(status('failed')).toBe('failed');
    expect(status('theirs')).toBe('delivered'); // not this account's
    expect(c.messages.find((m) => m.id === 'lost')?.status).toBe('read');
    // A later, lower report changes nothing; "sent" carries nothing back.
    c.applyStatus({ chatId, messageId: 'later', status: 'delivered', seq: 4, expiresAt: 0 });
    c.applyStatus({ chatId, messageId: 'later', status: 'sent', seq: 4, expiresAt: 0 });
    expect(status('lost')).toBe('read');
    expect(status('later')).toBe('delivered');
  });

  it('bounds the statuses it keeps for unknown messages', () => {
    const c = new ConversationStore(chatId, pager([]));
    for (let i = 0; i <= MAX_EARLY_STATUSES; i++) {
      c.applyStatus({ chatId, messageId: `x${i}`, status: 'sent', seq: i, expiresAt: 0 });
    }
    c.add(sampleMessage({ id: 'x0', chatId, status: 'pending' }));
    c.add(sampleMessage({ id: `x${MAX_EARLY_STATUSES}`, chatId, status: 'pending' }));
    expect(c.get('x0')?.status).toBe('pending'); // dropped: the oldest
    expect(c.get(`x${MAX_EARLY_STATUSES}`)?.status).toBe('sent');
  });

  it('keeps the error of a failed page and tries again on request', async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error('vault is locked')).mockResolvedValue({ messages: [], nextBefore: '' });
    const c = new ConversationStore(chatId, load);
    await c.loadLatest();
    expect(c.error).toBe('vault is locked');
    expect(c.loaded).toBe(false);
    await c.loadOlder();
    expect(c.error).toBe('');
    expect(c.loaded).toBe(true);
  });
});

describe('ConversationStore.loadUntil', () => {
  it('reads older pages, Go’s largest, until the message is loaded', async () => {
    const all = history(1000);
    const load = pager(all);
    const c = new ConversationStore(chatId, load);
    expect(await c.loadUntil('m150')).toBe(true);
    expect(c.get('m150')).toBeDefined();
    // 1000 → 800 → 600 → 400 → 200 → 0: m150 is in the fifth page.
    expect(load).toHaveBeenCalledTimes(5);
    expect(load.mock.calls.every(([, limit]) => limit === JUMP_PAGE_SIZE)).toBe(true);
    expect(c.messages[0]!.id).toBe('m0');
    expect(await c.loadUntil('m500')).toBe(true); // already loaded: no read
    expect(load).toHaveBeenCalledTimes(5);
  });

  it('stops at the start of the chat when the message is not there', async () => {
    const load = pager(history(300));
    const c = new ConversationStore(chatId, load);
    expect(await c.loadUntil('gone')).toBe(false);
    expect(c.hasOlder).toBe(false);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('waits for a page in flight instead of reading it twice', async () => {
    const all = history(500);
    const load = pager(all);
    const c = new ConversationStore(chatId, load);
    const first = c.loadLatest();
    const jump = c.loadUntil('m10');
    await Promise.all([first, jump]);
    expect(c.get('m10')).toBeDefined();
    const befores = load.mock.calls.map(([before]) => before);
    expect(new Set(befores).size).toBe(befores.length);
  });

  it('stops on a page that cannot be read, saying why', async () => {
    let calls = 0;
    const c = new ConversationStore(chatId, async () => {
      calls++;
      throw new Error('locked');
    });
    expect(await c.loadUntil('m1')).toBe(false);
    expect(c.error).toBe('locked');
    expect(calls).toBe(1);
  });
});
