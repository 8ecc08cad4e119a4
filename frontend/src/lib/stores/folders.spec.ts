import { describe, expect, it } from 'vitest';
import type { Folder } from '../api';
import { sampleChat } from '../testing/fakeApi';
import { FoldersStore, inView } from './folders.svelte';

const direct = sampleChat({ kind: 'direct', unread: 2 });
const secret = sampleChat({ kind: 'secret' });
const group = sampleChat({ kind: 'group' });
const channel = sampleChat({ kind: 'channel', unread: 1 });
const work: Folder = { id: 'f'.repeat(32), name: 'Work', chatIds: [group.id] };

describe('inView', () => {
  it.each([
    ['all', [direct, secret, group, channel]],
    ['unread', [direct, channel]],
    ['personal', [direct, secret]],
    ['groups', [group]],
    ['channels', [channel]],
    [work.id, [group]],
    ['0'.repeat(32), []],
  ])('%s', (view, want) => {
    expect([direct, secret, group, channel].filter((c) => inView(c, view, [work]))).toEqual(want);
  });
});

describe('FoldersStore', () => {
  it('falls back to all chats when the folder shown is deleted', async () => {
    const s = new FoldersStore();
    await s.load(async () => [work]);
    s.view = work.id;
    expect(s.view).toBe(work.id);
    expect(s.filter([direct, group])).toEqual([group]);
    expect(s.of(group.id)).toEqual([work.id]);
    await s.load(async () => []);
    expect(s.view).toBe('all');
    expect(s.filter([direct, group])).toEqual([direct, group]);
  });

  it('keeps the newest answer when two reads cross', async () => {
    const s = new FoldersStore();
    let first!: (f: Folder[]) => void;
    const slow = s.load(() => new Promise<Folder[]>((r) => (first = r)));
    await s.load(async () => [work]);
    first([]);
    await slow;
    expect(s.list).toEqual([work]);
  });

  it('says why a read failed', async () => {
    const s = new FoldersStore();
    await s.load(async () => {
      throw new Error('The vault is locked.');
    });
    expect(s.error).toBe('The vault is locked.');
  });
});
