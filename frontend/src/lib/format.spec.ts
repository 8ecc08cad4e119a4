import { describe, expect, it } from 'vitest';
import {
  AVATAR_COLOURS,
  avatarColour,
  buildRows,
  compareChats,
  dayLabel,
  lastWroteText,
  displayHandle,
  filterChats,
  formatChatTime,
  formatCount,
  handleError,
  initials,
  memberCountText,
  nextStatus,
  normalizeHandle,
  QUOTE_MAX_CHARS,
  firstLine,
  syncProgressText,
  titleError,
  truncate,
  utf8Length,
  typingText,
  unreadLabel,
  windowTitle,
  countdownLabel,
  countdownText,
  secretChatLabel,
  secretTimerLabel,
  autoDeleteLabel,
  selfDestructHint,
} from './format';
import { MESSAGE_STATUSES, RULES, type MessageStatus } from './api';
import { sampleChat, sampleMessage } from './testing/fakeApi';
import { quoteLine } from './richtext';

// Local times: the formatting follows the user's time zone, whatever it is.
const now = new Date(2026, 4, 20, 15, 0).getTime(); // Wednesday 20 May 2026
const at = (month: number, day: number, h = 12, m = 0, year = 2026) => new Date(year, month, day, h, m).getTime();

describe('formatChatTime', () => {
  it.each([
    ['today, morning', at(4, 20, 9, 5), '09:05'],
    ['today, a minute ago', now - 60_000, '14:59'],
    ['yesterday', at(4, 19, 23, 59), 'Tue'],
    ['six days ago', at(4, 14), 'Thu'],
    ['a week ago', at(4, 13), '13 May'],
    ['earlier this year', at(0, 3), '3 Jan'],
    ['last year', at(11, 31, 12, 0, 2025), '31/12/2025'],
  ])('%s → %s', (_name, ms, want) => {
    expect(formatChatTime(ms, now, 'en-GB')).toBe(want);
  });

  it('shows nothing for a chat without messages', () => {
    expect(formatChatTime(0, now, 'en-GB')).toBe('');
  });
});

describe('lastWroteText', () => {
  it('says when a contact\'s device last wrote, and nothing when it never did', () => {
    expect(lastWroteText(0, now)).toBe('');
    expect(lastWroteText(at(4, 20, 9, 5), now)).toMatch(/^Last wrote today at \d\d:\d\d/);
    expect(lastWroteText(at(4, 19, 10), now)).toBe('Last wrote yesterday');
    expect(lastWroteText(at(4, 18), now)).toMatch(/^Last wrote on .*18/);
  });
});

describe('dayLabel', () => {
  it.each([
    [at(4, 20, 0, 0), 'Today'],
    [at(4, 20, 23, 59), 'Today'],
    [at(4, 19, 0, 1), 'Yesterday'],
    [at(4, 18), 'Monday 18 May'],
    [at(6, 1, 12, 0, 2024), '1 July 2024'],
  ])('%i → %s', (ms, want) => {
    expect(dayLabel(ms, now, 'en-GB')).toBe(want);
  });
});

describe('initials', () => {
  it.each([
    ['Ada Lovelace', 'AL'],
    ['ada', 'A'],
    ['@bob_smith', 'BS'],
    ['Grace Brewster Hopper', 'GB'],
    ['élodie durand', 'ÉD'],
    ['👩‍💻 Team', '👩‍💻T'],
    ['   ', '?'],
    ['', '?'],
  ])('%j → %j', (name, want) => {
    expect(initials(name)).toBe(want);
  });
});

describe('avatarColour', () => {
  it('is stable per id, in range, and spreads ids over the palette', () => {
    const ids = Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(32, '0'));
    const colours = ids.map(avatarColour);
    expect(colours.every((c) => Number.isInteger(c) && c >= 0 && c < AVATAR_COLOURS)).toBe(true);
    expect(ids.map(avatarColour)).toEqual(colours);
    expect(new Set(colours).size).toBe(AVATAR_COLOURS);
  });
});

describe('chat order and filter', () => {
  it('puts pinned chats first, then the most recent, then by title', () => {
    const list = [
      sampleChat({ title: 'old', lastMessageAt: 10 }),
      sampleChat({ title: 'pinned old', lastMessageAt: 1, pinned: true }),
      sampleChat({ title: 'new', lastMessageAt: 30 }),
      sampleChat({ title: 'b same', lastMessageAt: 20 }),
      sampleChat({ title: 'a same', lastMessageAt: 20 }),
      sampleChat({ title: 'pinned new', lastMessageAt: 5, pinned: true }),
    ];
    expect([...list].sort(compareChats).map((c) => c.title)).toEqual([
      'pinned new',
      'pinned old',
      'new',
      'a same',
      'b same',
      'old',
    ]);
  });

  it('filters by title, ignoring case, accents and surrounding space', () => {
    const list = [sampleChat({ title: 'Café Crew' }), sampleChat({ title: 'Bob', lastMessage: 'cafe?' })];
    expect(filterChats(list, ' CAFE ').map((c) => c.title)).toEqual(['Café Crew']);
    expect(filterChats(list, '').length).toBe(2);
    expect(filterChats(list, 'zzz')).toEqual([]);
  });
});

describe('small texts', () => {
  it.each([
    [[], ''],
    [['Bob'], 'Bob is typing…'],
    [['Bob', 'Carol'], 'Bob and Carol are typing…'],
    [['Bob', 'Carol', 'Dan'], 'Bob and 2 others are typing…'],
  ])('typingText(%j) = %j', (names, want) => {
    expect(typingText(names)).toBe(want);
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '999+'],
  ])('unreadLabel(%i) = %s', (n, want) => {
    expect(unreadLabel(n)).toBe(want);
  });

  it.each([
    [0, 'Hush'],
    [3, '(3) Hush'],
    [1500, '(999+) Hush'],
  ])('windowTitle(%i) = %s', (n, want) => {
    expect(windowTitle(n)).toBe(want);
  });

  it('counts members and subscribers', () => {
    expect(memberCountText('group', 1)).toBe('1 member');
    expect(memberCountText('group', 3)).toBe('3 members');
    expect(memberCountText('channel', 12)).toBe('12 subscribers');
  });
});

describe('nextStatus', () => {
  // The table is Go's (policy.Advance via STATUS_ADVANCE); these pin the
  // behaviour the conversation relies on.
  it.each<[MessageStatus, MessageStatus, MessageStatus]>([
    ['pending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['delivered', 'read', 'read'],
    ['read', 'delivered', 'read'], // late event
    ['delivered', 'sent', 'delivered'],
    ['pending', 'failed', 'failed'],
    ['sent', 'failed', 'sent'], // acknowledged cannot fail
    ['failed', 'sent', 'sent'], // a retry from the outbox got through
    ['failed', 'pending', 'failed'],
  ])('%s + %s → %s', (current, incoming, want) => {
    expect(nextStatus(current, incoming)).toBe(want);
  });

  it('knows every pair of statuses, and a status never goes back', () => {
    for (const current of MESSAGE_STATUSES) {
      expect(nextStatus(current, current)).toBe(current);
      for (const incoming of MESSAGE_STATUSES) {
        const kept = nextStatus(current, incoming);
        expect([current, incoming]).toContain(kept);
        // Applying the same report again changes nothing.
        expect(nextStatus(kept, incoming)).toBe(kept);
      }
    }
  });
});

describe('handles', () => {
  // Go's limits (RULES), so this checks the wording and the use of the rule,
  // not a copy of its numbers.
  const lengths = `A username has ${RULES.handleMinLength} to ${RULES.handleMaxLength} characters.`;
  it.each([
    ['@bob', ''],
    ['bob_99', ''],
    ['  @Bob  ', ''],
    ['x'.repeat(RULES.handleMinLength), ''],
    ['x'.repeat(RULES.handleMaxLength), ''],
    ['', 'Enter a username, such as @ada.'],
    ['@', 'Enter a username, such as @ada.'],
    ['x'.repeat(RULES.handleMinLength - 1), lengths],
    ['x'.repeat(RULES.handleMaxLength + 1), lengths],
    ['bob smith', 'A username may hold only letters a–z, digits and _.'],
    ['bøb', 'A username may hold only letters a–z, digits and _.'],
    ['bob-1', 'A username may hold only letters a–z, digits and _.'],
  ])('handleError(%j) = %j', (typed, want) => {
    expect(handleError(typed)).toBe(want);
  });

  it('normalises and displays handles like Go stores them', () => {
    expect(normalizeHandle(' @Bob_1 ')).toBe('bob_1');
    expect(displayHandle('bob')).toBe('@bob');
    expect(displayHandle('@bob')).toBe('@bob');
    expect(displayHandle('')).toBe('');
  });
});

describe('buildRows', () => {
  const chatId = 'c'.repeat(32);
  const bob = 'b'.repeat(32);
  const carol = 'd'.repeat(32);

  it('puts a separator before each day and names senders in groups', () => {
    const msgs = [
      sampleMessage({ id: 'm1', chatId, senderId: bob, senderName: 'Bob', sentAt: at(4, 18, 10) }),
      sampleMessage({ id: 'm2', chatId, senderId: bob, senderName: 'Bob', sentAt: at(4, 18, 11) }),
      sampleMessage({ id: 'm3', chatId, senderId: carol, senderName: 'Carol', sentAt: at(4, 19, 9) }),
      sampleMessage({ id: 'm4', chatId, outgoing: true, senderName: 'Ada', sentAt: at(4, 20, 8) }),
      sampleMessage({ id: 'm5', chatId, senderId: carol, senderName: 'Carol', sentAt: at(4, 20, 9) }),
    ];
    const rows = buildRows(msgs, now, true, 'en-GB');
    expect(rows.map((r) => (r.kind === 'day' ? `[${r.label}]` : `${r.key}${r.showSender ? '+name' : ''}`))).toEqual([
      '[Monday 18 May]',
      'm1+name',
      'm2',
      '[Yesterday]',
      'm3+name',
      '[Today]',
      'm4',
      'm5+name',
    ]);
  });

  it('names no sender on a service line, and names the next sender again', () => {
    const msgs = [
      sampleMessage({ id: 'm1', chatId, senderId: carol, senderName: 'Carol', sentAt: at(4, 20, 8) }),
      sampleMessage({ id: 'l1', chatId, senderId: bob, senderName: 'Bob', service: true, sentAt: at(4, 20, 9) }),
      sampleMessage({ id: 'm2', chatId, senderId: carol, senderName: 'Carol', sentAt: at(4, 20, 10) }),
      sampleMessage({ id: 'm3', chatId, senderId: bob, senderName: 'Bob', sentAt: at(4, 20, 11) }),
    ];
    const rows = buildRows(msgs, now, true, 'en-GB');
    expect(rows.map((r) => (r.kind === 'day' ? `[${r.label}]` : `${r.key}${r.showSender ? '+name' : ''}`))).toEqual([
      '[Today]',
      'm1+name',
      'l1',
      'm2+name',
      'm3+name',
    ]);
  });

  it('never names senders in direct chats', () => {
    const rows = buildRows([sampleMessage({ chatId, sentAt: now })], now, false);
    expect(rows.filter((r) => r.kind === 'message' && r.showSender)).toEqual([]);
  });

  it('gives every row a unique key even when clocks disagree', () => {
    const msgs = [
      sampleMessage({ id: 'a', sentAt: at(4, 20, 9) }),
      sampleMessage({ id: 'b', sentAt: at(4, 19, 9) }),
      sampleMessage({ id: 'c', sentAt: at(4, 20, 10) }),
    ];
    const keys = buildRows(msgs, now, false).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k.startsWith('day:'))).toHaveLength(3);
  });

  it('gives a day separator a new key when older messages of that day are prepended', () => {
    // The separator moves above the older messages: were it the same row, the
    // list would anchor the view on it and jump to the oldest messages.
    const later = [sampleMessage({ id: 'x2', sentAt: at(4, 20, 10) })];
    const before = buildRows(later, now, false)[0]!.key;
    const after = buildRows([sampleMessage({ id: 'x1', sentAt: at(4, 20, 9) }), ...later], now, false)[0]!.key;
    expect(after).not.toBe(before);
    // Appending keeps it: the view at the bottom does not move either.
    const appended = buildRows([...later, sampleMessage({ id: 'x3', sentAt: at(4, 20, 11) })], now, false)[0]!.key;
    expect(appended).toBe(before);
  });
});

describe('titleError', () => {
  const tooLong = `The name is too long: at most ${RULES.maxTitleBytes} letters, fewer with accents or emoji.`;
  it.each([
    ['', 'group', 'Enter a name for the group.'],
    ['   ', 'channel', 'Enter a name for the channel.'],
    ['Book club', 'group', ''],
    // Two bytes a letter: at the limit once trimmed, then one byte over.
    [`  ${'é'.repeat(RULES.maxTitleBytes / 2)} `, 'group', ''],
    [`${'é'.repeat(RULES.maxTitleBytes / 2)}x`, 'channel', tooLong],
  ] as const)('%j (%s) → %j', (typed, noun, want) => {
    expect(titleError(typed, noun)).toBe(want);
  });
});

describe('utf8Length', () => {
  it('counts bytes of UTF-8, as Go measures titles and messages', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('🐶')).toBe(4);
    expect(utf8Length('')).toBe(0);
  });
});

describe('truncate and quoteLine', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly ten', 11, 'exactly ten'],
    ['a longer sentence', 8, 'a longe…'],
    ['trailing space cut', 9, 'trailing…'],
    ['🐶🐱🐭🐹🐰', 3, '🐶🐱…'], // whole emoji, never half a surrogate pair
  ])('truncate(%j, %i) = %j', (s, max, want) => {
    expect(truncate(s, max)).toBe(want);
    expect([...truncate(s, max)].length).toBeLessThanOrEqual(max);
  });

  it.each([
    ['one line', 'one line'],
    ['\n\n  first real line  \nsecond', 'first real line'],
    ['', ''],
    ['x'.repeat(500), `${'x'.repeat(QUOTE_MAX_CHARS - 1)}…`],
    ['**bold** and _it_ in `code`', 'bold and it in code'],
    ['```\n\nfn main() {}\n```', 'fn main() {}'],
    ['snake_case 2*3*4', 'snake_case 2*3*4'],
  ])('quoteLine(%j) = %j (richtext.ts)', (body, want) => {
    expect(quoteLine(body)).toBe(want);
  });

  it('firstLine keeps a service line as written', () => {
    expect(firstLine('\n*Team* renamed')).toBe('*Team* renamed');
  });
});

describe('syncProgressText', () => {
  it('counts chats and messages with the locale’s grouping', () => {
    expect(formatCount(10_000, 'en')).toBe('10,000');
    expect(
      syncProgressText({ chatsDone: 12, chatsTotal: 40, messagesDone: 3400, messagesTotal: 10_000 }, 'en'),
    ).toBe('12 of 40 chats · 3,400 of 10,000 messages');
  });

  it('speaks of one chat and one message in the singular', () => {
    expect(syncProgressText({ chatsDone: 1, chatsTotal: 1, messagesDone: 0, messagesTotal: 1 }, 'en')).toBe(
      '1 of 1 chat · 0 of 1 message',
    );
  });
});

describe('auto-delete wording', () => {
  it('names every auto-delete time Go offers, a month as such', () => {
    expect(RULES.autoDeleteSeconds.map(autoDeleteLabel)).toEqual(['Off', '1 day', '1 week', '1 month']);
    expect(autoDeleteLabel(2 * 86_400)).toBe('2 days');
  });
});

describe('secret chat wording', () => {
  it('names every self-destruct time Go offers', () => {
    expect(RULES.secretTimerSeconds.map(secretTimerLabel)).toEqual([
      'Off',
      '1 s',
      '5 s',
      '30 s',
      '1 min',
      '5 min',
      '1 h',
      '1 day',
      '1 week',
    ]);
    expect(selfDestructHint(5)).toBe('self-destructs 5 s after reading');
  });

  it('counts down in the two largest units, rounded up to a second', () => {
    expect(countdownText(4_000)).toBe('4s');
    expect(countdownText(3_001)).toBe('4s');
    expect(countdownText(59_000)).toBe('59s');
    expect(countdownText(65_000)).toBe('1m 5s');
    expect(countdownText(3_720_000)).toBe('1h 2m');
    expect(countdownText(3_600_000)).toBe('1h');
    expect(countdownText(7 * 86_400_000 - 3_600_000)).toBe('6d 23h');
    expect(countdownText(-5)).toBe('0s');
    expect(countdownLabel(1_000)).toBe('Disappears in 1 second');
    expect(countdownLabel(3_720_000)).toBe('Disappears in 1 hour 2 minutes');
  });

  it('names a secret chat with its device', () => {
    expect(secretChatLabel({ title: 'Bob', secretDeviceName: 'Bob’s laptop' })).toBe('Secret chat with Bob (Bob’s laptop)');
    expect(secretChatLabel({ title: 'Bob', secretDeviceName: '' })).toBe('Secret chat with Bob');
  });
});
