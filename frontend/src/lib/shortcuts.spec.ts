import { describe, expect, it } from 'vitest';
import {
  adjacentChat,
  formatShortcut,
  isFindShortcut,
  isLockShortcut,
  lockShortcutLabel,
  shortcutSheet,
  windowShortcut,
} from './shortcuts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('isLockShortcut', () => {
  it.each([
    ['Ctrl+L', key('l', { ctrlKey: true }), true],
    ['Cmd+L', key('l', { metaKey: true }), true],
    ['Ctrl+L with caps lock', key('L', { ctrlKey: true }), true],
    ['plain L', key('l'), false],
    ['Ctrl+Shift+L', key('L', { ctrlKey: true, shiftKey: true }), false],
    ['Ctrl+Alt+L', key('l', { ctrlKey: true, altKey: true }), false],
    ['Ctrl+K', key('k', { ctrlKey: true }), false],
  ])('%s → %s', (_name, e, want) => {
    expect(isLockShortcut(e)).toBe(want);
  });
});

describe('lockShortcutLabel', () => {
  it.each([
    ['MacIntel', '⌘L'],
    ['Win32', 'Ctrl+L'],
    ['Linux x86_64', 'Ctrl+L'],
  ])('%s → %s', (platform, want) => {
    expect(lockShortcutLabel(platform)).toBe(want);
  });
});

describe('windowShortcut', () => {
  it.each([
    ['Ctrl+K', key('k', { ctrlKey: true }), 'switcher'],
    ['Cmd+K', key('k', { metaKey: true }), 'switcher'],
    ['Ctrl+/', key('/', { ctrlKey: true }), 'sheet'],
    ['Ctrl+? (Shift+/ on US keyboards)', key('?', { ctrlKey: true, shiftKey: true }), 'sheet'],
    ['Ctrl+Shift+7 giving / (German)', key('/', { ctrlKey: true, shiftKey: true }), 'sheet'],
    ['Alt+Up', key('ArrowUp', { altKey: true }), 'previous-chat'],
    ['Alt+Down', key('ArrowDown', { altKey: true }), 'next-chat'],
    ['Ctrl+L', key('l', { ctrlKey: true }), 'lock'],
    ['plain K', key('k'), null],
    ['plain Up', key('ArrowUp'), null],
    ['Alt+Shift+Down (selects text)', key('ArrowDown', { altKey: true, shiftKey: true }), null],
    ['Ctrl+Alt+Down', key('ArrowDown', { altKey: true, ctrlKey: true }), null],
    ['Ctrl+Alt+K (AltGr on Windows)', key('k', { altKey: true, ctrlKey: true }), null],
    ['Ctrl+Shift+K', key('K', { ctrlKey: true, shiftKey: true }), null],
  ])('%s → %s', (_name, e, want) => {
    expect(windowShortcut(e)).toBe(want);
  });
});

describe('adjacentChat', () => {
  const chats = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  it.each([
    ['down from the middle', 'b', 1, 'c'],
    ['up from the middle', 'b', -1, 'a'],
    ['down at the end stays', 'c', 1, null],
    ['up at the top stays', 'a', -1, null],
    ['down with none open: the first', null, 1, 'a'],
    ['up with none open: the last', null, -1, 'c'],
    ['down from a chat not in the list (archived): the first', 'z', 1, 'a'],
  ] as const)('%s', (_name, open, step, want) => {
    expect(adjacentChat(chats, open, step)?.id ?? null).toBe(want);
  });

  it('finds nothing in an empty list', () => {
    expect(adjacentChat([], null, 1)).toBeNull();
  });
});

describe('formatShortcut', () => {
  it.each([
    ['Ctrl+B', key('b', { ctrlKey: true }), 'bold'],
    ['Cmd+B', key('b', { metaKey: true }), 'bold'],
    ['Ctrl+I with caps lock', key('I', { ctrlKey: true }), 'italic'],
    ['Ctrl+E', key('e', { ctrlKey: true }), 'code'],
    ['B alone', key('b'), null],
    ['Ctrl+Shift+B', key('B', { ctrlKey: true, shiftKey: true }), null],
    ['Ctrl+Alt+E', key('e', { ctrlKey: true, altKey: true }), null],
    ['Ctrl+K', key('k', { ctrlKey: true }), null],
  ])('%s → %s', (_name, e, want) => {
    expect(formatShortcut(e)).toBe(want);
  });

  it('is listed in the sheet', () => {
    const pc = shortcutSheet('Linux x86_64');
    expect(pc.find((s) => s.action.startsWith('Bold'))?.keys).toEqual(['Ctrl', 'B']);
    expect(shortcutSheet('MacIntel').find((s) => s.action.startsWith('Code'))?.keys).toEqual(['⌘', 'E']);
  });
});

describe('shortcutSheet', () => {
  it('names the keys of this platform', () => {
    const mac = shortcutSheet('MacIntel');
    const pc = shortcutSheet('Linux x86_64');
    expect(mac.find((s) => s.action.startsWith('Go to a chat'))?.keys).toEqual(['⌘', 'K']);
    expect(pc.find((s) => s.action.startsWith('Go to a chat'))?.keys).toEqual(['Ctrl', 'K']);
    expect(pc.find((s) => s.action === 'Open the chat above')?.keys).toEqual(['Alt', '↑']);
  });

  it('lists every window shortcut', () => {
    const actions = shortcutSheet('Win32').map((s) => s.action);
    for (const want of ['Lock Hush', 'Show these shortcuts', 'Open the chat below', 'Search messages']) {
      expect(actions).toContain(want);
    }
  });
});

describe('isFindShortcut', () => {
  it.each([
    ['Ctrl+F', key('f', { ctrlKey: true }), true],
    ['Cmd+F', key('f', { metaKey: true }), true],
    ['Ctrl+F with caps lock', key('F', { ctrlKey: true }), true],
    ['plain F', key('f'), false],
    ['Ctrl+Shift+F', key('F', { ctrlKey: true, shiftKey: true }), false],
    ['Ctrl+Alt+F', key('f', { ctrlKey: true, altKey: true }), false],
    ['Ctrl+L', key('l', { ctrlKey: true }), false],
  ])('%s → %s', (_name, e, want) => {
    expect(isFindShortcut(e)).toBe(want);
  });
});
