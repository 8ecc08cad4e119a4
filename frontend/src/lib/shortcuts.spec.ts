import { describe, expect, it } from 'vitest';
import { isFindShortcut, isLockShortcut, lockShortcutLabel } from './shortcuts';

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
