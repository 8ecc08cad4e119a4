import { describe, expect, it, vi } from 'vitest';
import type { SearchHit } from '../api';
import { MessageSearch, SEARCH_DEBOUNCE_MS, SEARCH_LIMIT, hitsText, type SearchTimers } from './search.svelte';

function hit(id: string): SearchHit {
  return { chatId: 'c', messageId: id, sentAt: 1, snippet: [{ text: id, hit: true }], cutBefore: false, cutAfter: false };
}

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let n = 0;
  const timers: SearchTimers = {
    set: (fn, ms) => {
      expect(ms).toBe(SEARCH_DEBOUNCE_MS);
      pending.set(++n, fn);
      return n;
    },
    clear: (h) => pending.delete(h as number),
  };
  const fire = () => {
    const fns = [...pending.values()];
    pending.clear();
    fns.forEach((f) => f());
  };
  return { timers, fire, pending };
}

/** A search whose answers the test releases one by one. */
function deferredSearch() {
  const calls: { query: string; resolve: (h: SearchHit[]) => void; reject: (e: Error) => void }[] = [];
  const fn = vi.fn(
    (query: string) =>
      new Promise<SearchHit[]>((resolve, reject) => {
        calls.push({ query, resolve, reject });
      }),
  );
  return { fn, calls };
}

describe('MessageSearch', () => {
  it('waits for a pause in typing, then sends only the last text', async () => {
    const { timers, fire } = manualTimers();
    const search = vi.fn(async (q: string) => [hit(q)]);
    const s = new MessageSearch(search, 'chat1', undefined, timers);
    s.set('r');
    s.set('re');
    s.set('ren');
    expect(search).not.toHaveBeenCalled();
    expect(s.busy).toBe(true);
    expect(hitsText(s)).toBe('Searching…');
    fire();
    await vi.waitFor(() => expect(s.busy).toBe(false));
    expect(search).toHaveBeenCalledTimes(1);
    expect(search).toHaveBeenCalledWith('ren', 'chat1', SEARCH_LIMIT);
    expect(s.hits.map((h) => h.messageId)).toEqual(['ren']);
    expect(hitsText(s)).toBe('1 message found');
  });

  it('drops an answer to an older query that arrives after a newer one', async () => {
    const { timers, fire } = manualTimers();
    const { fn, calls } = deferredSearch();
    const s = new MessageSearch(fn, '', undefined, timers);
    s.set('old');
    fire();
    s.set('new');
    fire();
    expect(calls.map((c) => c.query)).toEqual(['old', 'new']);
    calls[1]!.resolve([hit('n1'), hit('n2')]);
    await vi.waitFor(() => expect(s.searched).toBe('new'));
    calls[0]!.resolve([hit('o1')]); // late: must not replace the newer hits
    await Promise.resolve();
    await Promise.resolve();
    expect(s.hits.map((h) => h.messageId)).toEqual(['n1', 'n2']);
    expect(hitsText(s)).toBe('2 messages found');
  });

  it('clears at once on an empty field, and a pending query never goes out', async () => {
    const { timers, fire, pending } = manualTimers();
    const search = vi.fn(async () => [hit('x')]);
    const s = new MessageSearch(search, '', undefined, timers);
    s.set('abc');
    s.set('   ');
    expect(pending.size).toBe(0);
    fire();
    expect(search).not.toHaveBeenCalled();
    expect(s.busy).toBe(false);
    expect(hitsText(s)).toBe('');
  });

  it('searches at once on now(), and reports a failure', async () => {
    const { timers } = manualTimers();
    const search = vi.fn(async () => {
      throw new Error('Too long: a search is at most 256 bytes');
    });
    const s = new MessageSearch(search, '', undefined, timers);
    s.set('x'.repeat(300));
    await s.now();
    expect(search).toHaveBeenCalledTimes(1);
    expect(s.hits).toEqual([]);
    expect(hitsText(s)).toBe('Search failed: Too long: a search is at most 256 bytes');
  });

  it('says when there may be more than it shows', () => {
    expect(
      hitsText({ query: 'a', searched: 'a', busy: false, error: '', hits: Array.from({ length: SEARCH_LIMIT }, (_, i) => hit(String(i))) }),
    ).toBe(`${SEARCH_LIMIT}+ messages found`);
    expect(hitsText({ query: 'a', searched: 'a', busy: false, error: '', hits: [] })).toBe('No messages found');
  });

  it('stops a waiting query when disposed', () => {
    const { timers, pending } = manualTimers();
    const s = new MessageSearch(vi.fn(async () => []), '', undefined, timers);
    s.set('abc');
    expect(pending.size).toBe(1);
    s.dispose();
    expect(pending.size).toBe(0);
  });

  it('asks Go to prepare its index at the first letter, and keeps quiet if it cannot', async () => {
    const { timers } = manualTimers();
    const prepare = vi.fn(async () => {});
    const s = new MessageSearch(vi.fn(async () => []), '', prepare, timers);
    s.set('  ');
    expect(prepare).not.toHaveBeenCalled();
    s.set('a');
    s.set('ab');
    expect(prepare).toHaveBeenCalledTimes(1); // before the pause in typing
    s.clear();
    s.set('c');
    expect(prepare).toHaveBeenCalledTimes(2);
    const failing = vi.fn(async () => {
      throw new Error('Locked');
    });
    const t = new MessageSearch(vi.fn(async () => []), '', failing, timers);
    t.prepare();
    await vi.waitFor(() => expect(failing).toHaveBeenCalledTimes(1));
    expect(t.error).toBe('');
  });
});
