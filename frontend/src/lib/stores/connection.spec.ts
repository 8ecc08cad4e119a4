import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../api';
import { ConnectionStore } from './connection.svelte';

const base: Connection = { state: 'online', relayUrl: 'ws://a', retryInMs: 0, error: '', handle: '' };

afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectionStore', () => {
  it('lets an event that overtook a call win over the call’s older answer', () => {
    const s = new ConnectionStore();
    s.set({ ...base, state: 'offline' });
    const mark = s.mark();
    s.set({ ...base, relayUrl: 'ws://b', state: 'online' }); // the event
    s.answer({ ...base, relayUrl: 'ws://b', state: 'connecting' }, mark); // SetRelay's answer
    expect(s.value?.state).toBe('online');
  });

  it('takes a call’s answer when nothing overtook it, and a new handle in any case', () => {
    const s = new ConnectionStore();
    const mark = s.mark();
    s.answer({ ...base, state: 'connecting' }, mark);
    expect(s.value?.state).toBe('connecting');
    const again = s.mark();
    s.set({ ...base, state: 'online' });
    s.answer({ ...base, state: 'connecting', handle: 'ada' }, again);
    expect(s.value).toMatchObject({ state: 'online', handle: 'ada' });
  });

  it('counts down to the next attempt', () => {
    vi.useFakeTimers();
    const s = new ConnectionStore();
    s.set({ ...base, state: 'offline', retryInMs: 12_000 });
    expect(s.retryInMs).toBe(12_000);
    vi.advanceTimersByTime(5_000);
    expect(s.retryInMs).toBe(7_000);
    vi.advanceTimersByTime(8_000);
    expect(s.retryInMs).toBe(0);
    s.set({ ...base, state: 'online' });
    expect(s.retryInMs).toBe(0);
    s.reset();
    expect(s.value).toBeNull();
  });
});
