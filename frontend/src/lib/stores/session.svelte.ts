// Which screen the app shows, derived from the vault's lock state. One store
// per app instance (created in App.svelte, shared through context), so tests
// build their own and nothing lives at module level.

import type { LockReason, Profile, Status } from '../api';

/**
 * The screens of the first milestone, plus start-up, "cannot reach Hush" and
 * "this device was removed from your account".
 */
export type Screen = 'starting' | 'unavailable' | 'welcome' | 'unlock' | 'main' | 'removed';

export class SessionStore {
  screen = $state<Screen>('starting');
  /** The last Status read from Go; null until the first read. */
  status = $state<Status | null>(null);
  /** Who is signed in; null while locked (and after a reload while unlocked). */
  profile = $state<Profile | null>(null);
  /** Why the vault was last locked, to tell the user on the unlock screen. */
  lockReason = $state<LockReason | null>(null);
  /** On the removal screen: whether the account's signed device list says so (not just the relay). */
  removalVerified = $state(false);
  /** Why Hush could not be reached, on the "unavailable" screen. */
  error = $state<string | null>(null);

  /** Shows the screen a fresh Status calls for. */
  applyStatus(status: Status): void {
    this.status = status;
    this.error = null;
    switch (status.state) {
      case 'new':
        this.profile = null;
        this.screen = 'welcome';
        break;
      case 'locked':
        this.profile = null;
        this.screen = 'unlock';
        break;
      case 'unlocked':
        if (status.removed) this.#showRemoved(status.removedVerified);
        // What devices:changed said stands, whatever an older Status says.
        else if (this.screen !== 'removed') this.screen = 'main';
        break;
    }
  }

  /** After Create or Unlock succeeded. */
  unlocked(profile: Profile): void {
    this.profile = profile;
    this.lockReason = null;
    this.error = null;
    if (this.status) this.status = { ...this.status, state: 'unlocked', retryAfterMs: 0 };
    // Go remembers a removal across locks: unlocking shows it again.
    this.screen = 'main';
    if (this.status?.removed) this.#showRemoved(this.status.removedVerified);
  }

  /** After Lock or a vault:locked event; idempotent, both arrive for one lock. */
  locked(reason: LockReason): void {
    if (this.screen === 'unlock' || this.screen === 'welcome') return;
    this.profile = null;
    this.lockReason = reason;
    if (this.status) this.status = { ...this.status, state: 'locked' };
    this.screen = 'unlock';
  }

  /**
   * This device was removed from its account (devices:changed): the main
   * window gives way to the removal screen. `verified` is false when only
   * the relay says so (its refusal), true once the account's signed device
   * list does; a later signed word upgrades an earlier unsigned one. Only
   * an unlocked window learns it; a lock shows the unlock screen. Go keeps
   * it too (Status.removed), so a reload or an unlock shows it again.
   */
  removed(verified: boolean): void {
    if (this.screen !== 'main' && this.screen !== 'removed') return;
    this.#showRemoved(verified);
    if (this.status) {
      this.status = { ...this.status, removed: true, removedVerified: this.removalVerified };
    }
  }

  #showRemoved(verified: boolean): void {
    if (this.screen === 'removed') {
      this.removalVerified ||= verified;
      return;
    }
    this.removalVerified = verified;
    this.screen = 'removed';
  }

  /** The backend could not be reached or answered nonsense. */
  unavailable(message: string): void {
    this.error = message;
    this.screen = 'unavailable';
  }

  reset(): void {
    this.screen = 'starting';
    this.removalVerified = false;
    this.status = null;
    this.profile = null;
    this.lockReason = null;
    this.error = null;
  }
}
