// The draft of the open chat: saved after a pause in typing and on leaving,
// another device's draft taken only while nothing typed here is unsaved,
// and neither an old echo nor a late save bringing back a sent text.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DRAFT_SAVE_DELAY_MS, DraftKeeper } from './drafts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function keeper(saved = '', text = saved) {
  const save = vi.fn(async (_text: string) => {});
  return { k: new DraftKeeper(saved, text, save), save };
}

describe('DraftKeeper', () => {
  it('saves once typing pauses, not on every key', async () => {
    const { k, save } = keeper();
    k.changed('h');
    vi.advanceTimersByTime(200);
    k.changed('he');
    vi.advanceTimersByTime(200);
    k.changed('hello');
    expect(save).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith('hello');
    expect(k.dirty).toBe(false);
  });

  it('saves at once on flush, and nothing when nothing changed', async () => {
    const { k, save } = keeper('old');
    await k.flush();
    expect(save).not.toHaveBeenCalled();
    k.changed('new');
    await k.flush();
    expect(save).toHaveBeenCalledWith('new');
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('saves an unsaved starting text (left before it was saved)', () => {
    const { save } = keeper('', 'typed earlier');
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    expect(save).toHaveBeenCalledWith('typed earlier');
  });

  it('takes another device’s draft while nothing typed here is unsaved', () => {
    const { k } = keeper('mine');
    expect(k.remote('from the phone')).toBe('from the phone');
    expect(k.text).toBe('from the phone');
    expect(k.dirty).toBe(false);
  });

  it('keeps what the user is typing over another device’s draft', () => {
    const { k } = keeper('mine');
    k.changed('mine, and more');
    expect(k.remote('from the phone')).toBeNull();
    expect(k.text).toBe('mine, and more');
  });

  it('ignores the echo of its own earlier save', async () => {
    const { k } = keeper();
    k.changed('hel');
    await k.flush();
    k.changed('hello');
    await k.flush();
    // chat:updated for "hel" arrives late.
    expect(k.remote('hel')).toBeNull();
    expect(k.remote('hello')).toBeNull();
    expect(k.text).toBe('hello');
  });

  it('after sending, nothing pending is saved and no old draft comes back', async () => {
    const { k, save } = keeper();
    k.changed('hello');
    await k.flush();
    k.changed('hello!');
    await k.sent();
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS * 2);
    expect(save).toHaveBeenCalledTimes(1);
    expect(k.text).toBe('');
    expect(k.dirty).toBe(false);
    expect(k.remote('hello')).toBeNull(); // a late echo
    expect(k.remote('')).toBeNull(); // Go cleared it
    await k.flush();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('waits for a save on its way before the message is sent', async () => {
    let finish: () => void = () => {};
    const save = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const k = new DraftKeeper('', '', save);
    k.changed('hello');
    void k.flush();
    let sentAfter = false;
    const sending = k.sent().then(() => (sentAfter = true));
    await Promise.resolve();
    expect(sentAfter).toBe(false);
    finish();
    await sending;
    expect(sentAfter).toBe(true);
  });

  it('tries again after a failed save', async () => {
    const save = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined);
    const k = new DraftKeeper('', '', save);
    k.changed('hello');
    await k.flush();
    expect(k.dirty).toBe(true);
    await k.flush();
    expect(save).toHaveBeenCalledTimes(2);
    expect(k.dirty).toBe(false);
  });
});
