// Keyboard shortcuts of the unlocked UI (docs/API.md "Keyboard").

type KeyState = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/** Ctrl+L, or Cmd+L on macOS, locks the vault from anywhere. */
export function isLockShortcut(e: KeyState): boolean {
  return windowShortcut(e) === 'lock';
}

/** How the shortcut is written for this platform, for tooltips. */
export function lockShortcutLabel(platform: string): string {
  return /mac|iphone|ipad/i.test(platform) ? '⌘L' : 'Ctrl+L';
}

/** What a window-wide shortcut asks for. */
export type WindowShortcut = 'lock' | 'switcher' | 'sheet' | 'attach' | 'previous-chat' | 'next-chat';

/**
 * The window-wide shortcut e is, or null. Ctrl (Cmd on macOS) with L locks,
 * with K opens the quick switcher, with / the shortcuts sheet, with O attaches
 * files to the open chat (as Telegram Desktop does); Alt+Up and
 * Alt+Down open the chat above or below the open one, as Telegram Desktop does.
 */
export function windowShortcut(e: KeyState): WindowShortcut | null {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey) {
    const key = e.key.toLowerCase();
    if (!e.shiftKey && key === 'l') return 'lock';
    if (!e.shiftKey && key === 'k') return 'switcher';
    if (!e.shiftKey && key === 'o') return 'attach';
    // "/" is Shift+7 on some layouts (German): the key is what counts.
    if (key === '/' || key === '?') return 'sheet';
    return null;
  }
  if (e.altKey && !mod && !e.shiftKey) {
    if (e.key === 'ArrowUp') return 'previous-chat';
    if (e.key === 'ArrowDown') return 'next-chat';
  }
  return null;
}

/** A format the message box applies to its selection. */
export type TextFormat = 'bold' | 'italic' | 'code';

/**
 * The format a key asks for in a message box, or null: Ctrl (Cmd on macOS)
 * with B bold, with I italic, with E code, as in Telegram Desktop and Slack.
 */
export function formatShortcut(e: KeyState): TextFormat | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  return FORMAT_KEYS[e.key.toLowerCase()] ?? null;
}

const FORMAT_KEYS: Readonly<Record<string, TextFormat>> = { b: 'bold', i: 'italic', e: 'code' };

/**
 * The chat Alt+Up (step -1) or Alt+Down (step 1) opens: the neighbour of the
 * open chat in the list as shown, or the first (last, going up) when none of
 * them is open; null at either end, where it stays put, as Telegram's does.
 */
export function adjacentChat<T extends { id: string }>(
  chats: readonly T[],
  openId: string | null,
  step: 1 | -1,
): T | null {
  if (chats.length === 0) return null;
  const at = openId === null ? -1 : chats.findIndex((c) => c.id === openId);
  if (at < 0) return step === 1 ? chats[0]! : chats[chats.length - 1]!;
  return chats[at + step] ?? null;
}

/** One line of the shortcuts sheet. */
export interface ShortcutHelp {
  /** The keys, one entry per key, in the order pressed ("Ctrl", "K"). */
  keys: readonly string[];
  /** What they do. */
  action: string;
}

/** Every shortcut, as the sheet (Ctrl+/) lists them for this platform. */
export function shortcutSheet(platform: string): ShortcutHelp[] {
  const mod = /mac|iphone|ipad/i.test(platform) ? '⌘' : 'Ctrl';
  const alt = /mac|iphone|ipad/i.test(platform) ? '⌥' : 'Alt';
  return [
    { keys: [mod, 'K'], action: 'Go to a chat (quick switcher)' },
    { keys: [alt, '↑'], action: 'Open the chat above' },
    { keys: [alt, '↓'], action: 'Open the chat below' },
    { keys: [mod, 'F'], action: 'Search messages' },
    { keys: [mod, 'O'], action: 'Attach files to the open chat' },
    { keys: ['↑'], action: 'Edit your last message (in an empty message field)' },
    { keys: ['R'], action: 'Reply to the focused message' },
    { keys: ['Shift', 'F10'], action: 'Open the menu of the focused chat or message' },
    { keys: ['Enter'], action: 'Send the message' },
    { keys: ['Shift', 'Enter'], action: 'New line in the message' },
    { keys: [mod, 'B'], action: 'Bold: wrap the selected text in **' },
    { keys: [mod, 'I'], action: 'Italic: wrap the selected text in _' },
    { keys: [mod, 'E'], action: 'Code: wrap the selected text in `' },
    { keys: ['Esc'], action: 'Cancel a reply or edit, close a dialog or menu' },
    { keys: [mod, 'L'], action: 'Lock Hush' },
    { keys: [mod, '/'], action: 'Show these shortcuts' },
  ];
}

/**
 * Ctrl+F, or Cmd+F on macOS: search — within the open chat, else every
 * chat from the chat list's search field.
 */
export function isFindShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f';
}
