import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message, MessagePage } from '../api';
import { formatClock } from '../format';
import { Messenger } from '../messenger.svelte';
import { ConversationStore } from '../stores/conversation.svelte';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import { createFakeApi, sampleMessage } from '../testing/fakeApi';
import { ROW_PX, mockLayout } from '../testing/layout';
import MessageList from './MessageList.svelte';

const chatId = 'c'.repeat(32);
const now = new Date(2026, 4, 20, 15, 0).getTime();
let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

function messages(n: number, over: (i: number) => Partial<Message> = () => ({})): Message[] {
  return Array.from({ length: n }, (_, i) =>
    sampleMessage({ id: `m${i}`, chatId, sentAt: now - (n - i) * 60_000, body: `message ${i}`, seq: i + 1, ...over(i) }),
  );
}

function pager(all: Message[]) {
  return vi.fn(async (before: string, limit: number): Promise<MessagePage> => {
    const end = before === '' ? all.length : all.findIndex((m) => m.id === before);
    const start = Math.max(0, end - limit);
    return { messages: all.slice(start, end).reverse(), nextBefore: start > 0 ? all[start]!.id : '' };
  });
}

function renderList(
  conversation: ConversationStore,
  kind: 'direct' | 'group' | 'channel' = 'direct',
  onreply?: (m: Message) => void,
) {
  const api = createFakeApi({ state: 'unlocked' });
  const messenger = new Messenger(api, attentiveEnv());
  return renderWithContext(MessageList, { conversation, kind, now, onreply }, createTestContext({ api }), messenger);
}

describe('MessageList', () => {
  it('renders only a bounded window of a 100k-message chat', async () => {
    const all = messages(100_000);
    const load = vi.fn(async (): Promise<MessagePage> => ({ messages: [...all].reverse(), nextBefore: '' }));
    const conversation = new ConversationStore(chatId, load);
    await conversation.loadLatest();
    expect(conversation.messages).toHaveLength(100_000);

    renderList(conversation);
    const region = screen.getByRole('region', { name: 'Messages' });
    await waitFor(() => expect(within(region).getByText('message 99999')).toBeInTheDocument());
    const rendered = within(region).getAllByRole('article').length;
    // A 600 px viewport of 60 px rows plus overscan: a few dozen, never thousands.
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    expect(within(region).queryByText('message 0')).not.toBeInTheDocument();
    // Yet the scrollbar is that of 100k messages, with the view at its end.
    expect(region.scrollHeight).toBeGreaterThan(100_000 * 50);
    expect(region.scrollHeight - region.clientHeight - region.scrollTop).toBeLessThan(ROW_PX);
  });

  it('separates days and shows each status tick with its name', async () => {
    const day = (d: number, h: number) => new Date(2026, 4, d, h).getTime();
    const list = [
      sampleMessage({ id: 'a', chatId, sentAt: day(18, 9), body: 'old news' }),
      sampleMessage({ id: 'b', chatId, sentAt: day(19, 9), outgoing: true, status: 'read', body: 'read one' }),
      sampleMessage({ id: 'c', chatId, sentAt: day(20, 9), outgoing: true, status: 'delivered', body: 'delivered one' }),
      sampleMessage({ id: 'd', chatId, sentAt: day(20, 10), outgoing: true, status: 'sent', body: 'sent one' }),
      sampleMessage({ id: 'e', chatId, sentAt: day(20, 11), outgoing: true, status: 'pending', body: 'pending one' }),
      sampleMessage({ id: 'f', chatId, sentAt: day(20, 12), outgoing: true, status: 'failed', body: 'failed one' }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    renderList(conversation);

    expect(await screen.findByText('Today')).toBeInTheDocument();
    expect(screen.getByText('Yesterday')).toBeInTheDocument();
    // (Anchored: each message's hidden description starts with its day too.)
    expect(screen.getByText(/^Monday\D*18\D*$/)).toBeInTheDocument();
    for (const [body, tick] of <[string, string][]>[
      ['read one', 'Read'],
      ['delivered one', 'Delivered'],
      ['sent one', 'Sent'],
      ['pending one', 'Pending'],
      ['failed one', 'Failed to send'],
    ]) {
      const message = screen.getByRole('article', { name: `You: ${body}` });
      expect(within(message).getByRole('img', { name: tick })).toBeInTheDocument();
    }
    // Incoming messages have no tick.
    const incoming = screen.getByRole('article', { name: 'Bob: old news' });
    expect(within(incoming).queryByRole('img')).not.toBeInTheDocument();
  });

  it('describes each message by its day, time and, when it is ours, its status', async () => {
    const yesterday = new Date(2026, 4, 19, 9, 5).getTime();
    const today = new Date(2026, 4, 20, 14, 30).getTime();
    const list = [
      sampleMessage({ id: 'a', chatId, sentAt: yesterday, body: 'morning' }),
      sampleMessage({ id: 'b', chatId, sentAt: today, outgoing: true, status: 'failed', body: 'lost' }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    renderList(conversation);

    const incoming = await screen.findByRole('article', { name: 'Bob: morning' });
    expect(incoming).toHaveAccessibleDescription(`Yesterday, ${formatClock(yesterday)}`);
    const outgoing = screen.getByRole('article', { name: 'You: lost' });
    expect(outgoing).toHaveAccessibleDescription(`Today, ${formatClock(today)}, Failed to send`);
    // The visible time is a <time> carrying the exact instant.
    for (const [message, at] of <[HTMLElement, number][]>[
      [incoming, yesterday],
      [outgoing, today],
    ]) {
      const time = within(message).getByRole('time');
      expect(time).toHaveTextContent(formatClock(at));
      expect(time).toHaveAttribute('datetime', new Date(at).toISOString());
    }
  });

  it('updates a tick when message:status moves the message on', async () => {
    const conversation = new ConversationStore(chatId, pager([]));
    await conversation.loadLatest();
    renderList(conversation);
    conversation.add(sampleMessage({ id: 'x', chatId, outgoing: true, status: 'pending', body: 'on its way' }));
    const message = await screen.findByRole('article', { name: 'You: on its way' });
    expect(within(message).getByRole('img', { name: 'Pending' })).toBeInTheDocument();
    expect(message).toHaveAccessibleDescription(/, Pending$/);
    conversation.applyStatus({ chatId, messageId: 'x', status: 'delivered', seq: 7, expiresAt: 0 });
    await waitFor(() => expect(within(message).getByRole('img', { name: 'Delivered' })).toBeInTheDocument());
    expect(message).toHaveAccessibleDescription(/, Delivered$/);
  });

  it('names senders in groups and shows reply previews', async () => {
    const list = [
      sampleMessage({ id: 'q', chatId, senderName: 'Carol', senderId: 'd'.repeat(32), body: 'lunch?' }),
      sampleMessage({ id: 'r', chatId, senderName: 'Bob', body: 'yes!', replyTo: 'q' }),
      sampleMessage({ id: 's', chatId, senderName: 'Bob', body: 'about that', replyTo: 'gone' }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    renderList(conversation, 'group');
    // The first of a run shows its sender above the text.
    const question = await screen.findByRole('article', { name: 'Carol: lunch?' });
    expect(within(question).getByText('Carol')).toBeInTheDocument();
    const reply = screen.getByRole('article', { name: 'Bob: yes!' });
    expect(within(reply).getByText('Bob')).toBeInTheDocument();
    const quote = within(reply).getByRole('button', { name: /^In reply to/ });
    expect(within(quote).getByText('Carol')).toBeInTheDocument();
    expect(within(quote).getByText('lunch?')).toBeInTheDocument();
    const orphan = screen.getByRole('article', { name: 'Bob: about that' });
    expect(within(orphan).getByText('The original message is not loaded')).toBeInTheDocument();
    // Bob's second message in a row does not repeat his name.
    expect(within(orphan).queryByText('Bob')).not.toBeInTheDocument();
  });

  it('loads older pages when the top is near, keeping what was there', async () => {
    const all = messages(120);
    const load = pager(all);
    const conversation = new ConversationStore(chatId, load);
    await conversation.loadLatest();
    renderList(conversation);
    const region = screen.getByRole('region', { name: 'Messages' });
    await screen.findByText('message 119');
    // Scroll to the top: the next page comes in.
    region.scrollTop = 0;
    region.dispatchEvent(new Event('scroll'));
    await waitFor(() => expect(load).toHaveBeenCalledWith('m70', 50));
    await waitFor(() => expect(conversation.messages).toHaveLength(100));
    // The view did not jump to the page that came in: the message that was at
    // the top (below the day separator, whose row moved up with its day) is
    // still rendered, and the list is no longer at its top.
    await waitFor(() => expect(region.scrollTop).toBeGreaterThan(0));
    expect(screen.getByText('message 70')).toBeInTheDocument();
    // At the top once more: the rest comes in.
    region.scrollTop = 0;
    region.dispatchEvent(new Event('scroll'));
    await waitFor(() => expect(conversation.messages).toHaveLength(120));
    expect(conversation.hasOlder).toBe(false);
    expect(conversation.messages[0]!.id).toBe('m0');
  });

  it('offers "Jump to latest" when scrolled up, counts what arrives, and jumps down when clicked', async () => {
    const conversation = new ConversationStore(chatId, pager(messages(50)));
    await conversation.loadLatest();
    renderList(conversation);
    const region = screen.getByRole('region', { name: 'Messages' });
    await screen.findByText('message 49');
    // Scroll away from the bottom (but not near the top).
    region.scrollTop = 1200;
    region.dispatchEvent(new Event('scroll'));
    flushSync();
    expect(await screen.findByRole('button', { name: 'Jump to latest' })).toBeInTheDocument();
    conversation.add(sampleMessage({ id: 'late', chatId, body: 'are you there?', sentAt: now }));
    const button = await screen.findByRole('button', { name: 'Jump to latest, 1 new message' });
    expect(button).toHaveTextContent('1');
    await userEvent.setup().click(button);
    await waitFor(() => expect(screen.queryByRole('button', { name: /Jump to latest/ })).not.toBeInTheDocument());
    expect(screen.getByText('are you there?')).toBeInTheDocument();
  });

  it('stays at the bottom when a message arrives there', async () => {
    const conversation = new ConversationStore(chatId, pager(messages(50)));
    await conversation.loadLatest();
    renderList(conversation);
    await screen.findByText('message 49');
    conversation.add(sampleMessage({ id: 'live', chatId, body: 'live one', sentAt: now }));
    expect(await screen.findByText('live one')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).not.toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('New message from Bob');
  });

  it('offers a reply on every message, named after its sender, but not where posting is not allowed', async () => {
    const list = [
      sampleMessage({ id: 'a', chatId, senderName: 'Carol', body: 'from Carol', sentAt: now - 3000 }),
      sampleMessage({ id: 'b', chatId, senderName: 'Ada', outgoing: true, body: 'from me', sentAt: now - 2000 }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    const onreply = vi.fn();
    const { unmount } = renderList(conversation, 'group', onreply);
    await screen.findByText('from Carol');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Reply to Carol' }));
    expect(onreply).toHaveBeenCalledWith(list[0]);
    expect(screen.getByRole('button', { name: 'Reply to your message' })).toBeInTheDocument();
    unmount();

    renderList(conversation, 'channel');
    await screen.findByText('from Carol');
    expect(screen.queryByRole('button', { name: /^Reply to/ })).not.toBeInTheDocument();
  });

  it('moves between messages with the arrow keys, Home and End, and replies with R', async () => {
    const conversation = new ConversationStore(chatId, pager(messages(30)));
    await conversation.loadLatest();
    const onreply = vi.fn();
    renderList(conversation, 'direct', onreply);
    const region = screen.getByRole('region', { name: 'Messages' });
    await within(region).findByText('message 29');
    const user = userEvent.setup();
    // One tab stop among the messages: the newest.
    const stops = within(region)
      .getAllByRole('article')
      .filter((a) => a.tabIndex === 0);
    expect(stops.map((a) => a.getAttribute('aria-label'))).toEqual(['Bob: message 29']);

    stops[0]!.focus();
    await user.keyboard('{ArrowUp}{ArrowUp}');
    await waitFor(() => expect(screen.getByRole('article', { name: 'Bob: message 27' })).toHaveFocus());
    await user.keyboard('{ArrowDown}');
    await waitFor(() => expect(screen.getByRole('article', { name: 'Bob: message 28' })).toHaveFocus());
    await user.keyboard('r');
    expect(onreply).toHaveBeenCalledTimes(1);
    expect(onreply.mock.calls[0]![0]).toMatchObject({ id: 'm28', body: 'message 28' });

    // The focused message became the tab stop, and its buttons with it.
    const focused = screen.getByRole('article', { name: 'Bob: message 28' });
    expect(focused.tabIndex).toBe(0);
    await user.tab();
    expect(within(focused).getByRole('button', { name: 'Reply to Bob' })).toHaveFocus();

    focused.focus();
    await user.keyboard('{Home}');
    await waitFor(() => expect(screen.getByRole('article', { name: 'Bob: message 0' })).toHaveFocus());
    await user.keyboard('{End}');
    await waitFor(() => expect(screen.getByRole('article', { name: 'Bob: message 29' })).toHaveFocus());
    // Ctrl+R belongs to the browser, not to the reply.
    await user.keyboard('{Control>}r{/Control}');
    expect(onreply).toHaveBeenCalledTimes(1);
  });

  it('keeps the focused message in the DOM when the list scrolls far from it', async () => {
    const conversation = new ConversationStore(chatId, pager(messages(200)));
    await conversation.loadLatest();
    renderList(conversation, 'direct', vi.fn());
    const region = screen.getByRole('region', { name: 'Messages' });
    await within(region).findByText('message 199');
    const last = screen.getByRole('article', { name: 'Bob: message 199' });
    last.focus();
    await userEvent.setup().keyboard('{ArrowUp}');
    const focused = await waitFor(() => {
      const el = screen.getByRole('article', { name: 'Bob: message 198' });
      expect(el).toHaveFocus();
      return el;
    });
    region.scrollTop = 0;
    region.dispatchEvent(new Event('scroll'));
    flushSync();
    await waitFor(() => expect(within(region).queryByText('message 199')).not.toBeInTheDocument());
    expect(focused).toBeInTheDocument();
    expect(focused).toHaveFocus();
  });

  it('jumps from a reply quote to the original and focuses it', async () => {
    const all = messages(100, (i) => (i === 99 ? { replyTo: 'm5', body: 'answer to five' } : {}));
    const conversation = new ConversationStore(chatId, async () => ({ messages: [...all].reverse(), nextBefore: '' }));
    await conversation.loadLatest();
    renderList(conversation, 'direct', vi.fn());
    const region = screen.getByRole('region', { name: 'Messages' });
    const reply = await screen.findByRole('article', { name: 'Bob: answer to five' });
    // The original is far above: not rendered.
    expect(within(region).queryByRole('article', { name: 'Bob: message 5' })).not.toBeInTheDocument();
    await userEvent.setup().click(within(reply).getByRole('button', { name: /In reply to Bob message 5/ }));
    const original = await screen.findByRole('article', { name: 'Bob: message 5' });
    await waitFor(() => expect(original).toHaveFocus());
    expect(within(original).getByText('message 5')).toBeInTheDocument();
  });

  it('shows a service line as the chat’s own: centred text, no sender, tick or reply', async () => {
    const carol = 'd'.repeat(32);
    const list = [
      sampleMessage({ id: 'a', chatId, senderName: 'Carol', senderId: carol, body: 'before', sentAt: now - 4000 }),
      sampleMessage({ id: 'l', chatId, senderName: 'Alice', body: 'Alice removed Carol', service: true, sentAt: now - 3000 }),
      sampleMessage({ id: 'b', chatId, senderName: 'Carol', senderId: carol, body: 'after', sentAt: now - 2000 }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    const onreply = vi.fn();
    renderList(conversation, 'group', onreply);
    // Named by Go's sentence alone, described by its day and time.
    const line = await screen.findByRole('article', { name: 'Alice removed Carol' });
    expect(line).toHaveAccessibleDescription(`Today, ${formatClock(now - 3000)}`);
    expect(within(line).queryByRole('img')).not.toBeInTheDocument();
    expect(within(line).queryByRole('button')).not.toBeInTheDocument();
    expect(within(line).queryByText('Alice')).not.toBeInTheDocument();
    // A line ends a sender's run: Carol's next message names her again.
    expect(within(screen.getByRole('article', { name: 'Carol: after' })).getByText('Carol')).toBeInTheDocument();
    // The messages around it keep their reply buttons.
    expect(screen.getAllByRole('button', { name: 'Reply to Carol' })).toHaveLength(2);

    // The arrow keys stop on it like on any message; R does nothing there.
    const user = userEvent.setup();
    screen.getByRole('article', { name: 'Carol: after' }).focus();
    await user.keyboard('{ArrowUp}');
    await waitFor(() => expect(line).toHaveFocus());
    await user.keyboard('r');
    expect(onreply).not.toHaveBeenCalled();
    await user.keyboard('{ArrowUp}');
    await waitFor(() => expect(screen.getByRole('article', { name: 'Carol: before' })).toHaveFocus());
  });

  it('announces a service line that arrives by its own words', async () => {
    const conversation = new ConversationStore(chatId, pager(messages(3)));
    await conversation.loadLatest();
    renderList(conversation, 'group');
    await screen.findByText('message 2');
    conversation.add(sampleMessage({ id: 'line', chatId, senderName: 'Alice', body: 'Alice added Dan', service: true, sentAt: now }));
    expect(await screen.findByRole('article', { name: 'Alice added Dan' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(/^Alice added Dan$/);
  });

  it('marks a time the relay supplied because the sender’s clock was off', async () => {
    const list = [
      sampleMessage({ id: 'a', chatId, body: 'from the future', clockOff: true, sentAt: now - 2000 }),
      sampleMessage({ id: 'b', chatId, body: 'on time', sentAt: now - 1000 }),
    ];
    const conversation = new ConversationStore(chatId, pager(list));
    await conversation.loadLatest();
    renderList(conversation);
    const off = await screen.findByRole('article', { name: 'Bob: from the future' });
    const marker = within(off).getByRole('img', { name: "Sent time from the relay: the sender's clock was off" });
    expect(marker).toHaveAttribute('title', "Sent time from the relay: the sender's clock was off");
    expect(off).toHaveAccessibleDescription(
      `Today, ${formatClock(now - 2000)}, Sent time from the relay: the sender's clock was off`,
    );
    const onTime = screen.getByRole('article', { name: 'Bob: on time' });
    expect(within(onTime).queryByRole('img')).not.toBeInTheDocument();
    expect(onTime).toHaveAccessibleDescription(`Today, ${formatClock(now - 1000)}`);
  });
});
