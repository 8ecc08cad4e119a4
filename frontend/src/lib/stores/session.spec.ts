import { describe, expect, it } from 'vitest';
import { SessionStore } from './session.svelte';
import { profileOf, sampleSettings } from '../testing/fakeApi';

describe('SessionStore', () => {
  it.each([
    ['new', 'welcome'],
    ['locked', 'unlock'],
    ['unlocked', 'main'],
  ] as const)('Status %s shows %s', (state, screen) => {
    const s = new SessionStore();
    s.applyStatus({ state, retryAfterMs: 0 });
    expect(s.screen).toBe(screen);
  });

  it('goes main → unlock on lock, remembering why, and back on unlock', () => {
    const s = new SessionStore();
    s.applyStatus({ state: 'locked', retryAfterMs: 0 });
    s.unlocked(profileOf(sampleSettings));
    expect(s.screen).toBe('main');
    expect(s.profile?.displayName).toBe('Ada');

    s.locked('idle');
    expect(s.screen).toBe('unlock');
    expect(s.lockReason).toBe('idle');
    expect(s.profile).toBeNull();
    expect(s.status?.state).toBe('locked');

    // The event for the same lock arrives after Lock() returned: no change.
    s.locked('manual');
    expect(s.lockReason).toBe('idle');

    s.unlocked(profileOf(sampleSettings));
    expect(s.lockReason).toBeNull();
  });

  it('shows the removal screen only over the main window, keeps it while unlocked, and locks away from it', () => {
    const s = new SessionStore();
    s.applyStatus({ state: 'locked', retryAfterMs: 0 });
    s.removed(true); // a locked window cannot have learnt it
    expect(s.screen).toBe('unlock');

    s.unlocked(profileOf(sampleSettings));
    s.removed(false);
    expect(s.screen).toBe('removed');
    expect(s.removalVerified).toBe(false);
    // The signed list confirms what the relay said; nothing takes that back.
    s.removed(true);
    s.removed(false);
    expect(s.removalVerified).toBe(true);
    s.applyStatus({ state: 'unlocked', retryAfterMs: 0 });
    expect(s.screen).toBe('removed');

    s.locked('manual');
    expect(s.screen).toBe('unlock');
  });

  it('reset forgets everything', () => {
    const s = new SessionStore();
    s.unavailable('boom');
    s.reset();
    expect(s.screen).toBe('starting');
    expect(s.error).toBeNull();
    expect(s.status).toBeNull();
  });
});
