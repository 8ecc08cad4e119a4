// The unlocked account's settings as last read from Go (SettingsService.Get,
// setter results and settings:changed events). Cleared on lock, since the
// values come from the vault and must not outlive it on screen.

import type { Settings } from '../api';

export class SettingsStore {
  value = $state<Settings | null>(null);

  set(value: Settings): void {
    this.value = value;
  }

  reset(): void {
    this.value = null;
  }
}
