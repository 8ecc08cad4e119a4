// Keyboard shortcuts of the unlocked UI (docs/API.md "Keyboard").

/** Ctrl+L, or Cmd+L on macOS, locks the vault from anywhere. */
export function isLockShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'l';
}

/** How the shortcut is written for this platform, for tooltips. */
export function lockShortcutLabel(platform: string): string {
  return /mac|iphone|ipad/i.test(platform) ? '⌘L' : 'Ctrl+L';
}

/**
 * Ctrl+F, or Cmd+F on macOS: search — within the open chat, else every
 * chat from the chat list's search field.
 */
export function isFindShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f';
}
