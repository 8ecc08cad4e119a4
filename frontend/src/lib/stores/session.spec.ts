import { describe, expect, it } from 'vitest';
import { SessionStore } from './session.svelte';
import { profileOf, sampleSettings, sampleStatus } from '../testing/fakeApi';

describe('SessionStore', () => {
  it.each([
    ['new', 'welcome'],
    ['locked', 'unlock'],
    ['unlocked', 'main'],
  ] as const)('Status %s shows %s', (state, screen) => {
    const s = new SessionStore();
    s.applyStatus(sampleStatus({ state }));
    expect(s.screen).toBe(screen);
  });

  it('goes main → unlock on lock, remembering why, and back on unlock', () => {
    const s = new SessionStore();
    s.applyStatus(sampleStatus({ state: 'locked' }));
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
    s.applyStatus(sampleStatus({ state: 'locked' }));
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
    s.applyStatus(sampleStatus({ state: 'unlocked' }));
    expect(s.screen).toBe('removed');

    s.locked('manual');
    expect(s.screen).toBe('unlock');
  });

  it('shows the removal screen when Status says so: at start-up, and on unlocking', () => {
    const s = new SessionStore();
    s.applyStatus(sampleStatus({ state: 'unlocked', removed: true, removedVerified: false }));
    expect(s.screen).toBe('removed');
    expect(s.removalVerified).toBe(false);
    s.applyStatus(sampleStatus({ state: 'unlocked', removed: true, removedVerified: true }));
    expect(s.removalVerified).toBe(true);

    const t = new SessionStore();
    t.applyStatus(sampleStatus({ state: 'locked', removed: true, removedVerified: true }));
    expect(t.screen).toBe('unlock');
    t.unlocked(profileOf(sampleSettings));
    expect(t.screen).toBe('removed');
    expect(t.removalVerified).toBe(true);
  });

  it('remembers a devices:changed removal in its Status, so it shows again after a lock', () => {
    const s = new SessionStore();
    s.applyStatus(sampleStatus({ state: 'unlocked' }));
    s.removed(false);
    s.locked('manual');
    expect(s.screen).toBe('unlock');
    s.unlocked(profileOf(sampleSettings));
    expect(s.screen).toBe('removed');
    expect(s.removalVerified).toBe(false);
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
