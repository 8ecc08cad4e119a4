import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import ArchivedEntry from './ArchivedEntry.svelte';
import ArchivedList from './ArchivedList.svelte';

describe('ArchivedEntry', () => {
  it.each([
    [2, 3, 'Archived chats, 2 chats, 3 unread', '3'],
    [1, 0, 'Archived chats, 1 chat', null],
  ])('with %i chats and %i unread is named %j', async (count, unread, name, badge) => {
    const onopen = vi.fn();
    render(ArchivedEntry, { props: { count, unread, onopen } });
    const button = screen.getByRole('button', { name });
    if (badge) expect(button).toHaveTextContent(badge);
    await userEvent.setup().click(button);
    expect(onopen).toHaveBeenCalledTimes(1);
  });
});

describe('ArchivedList', () => {
  it('lists the archived chats with a way back', async () => {
    const restore = mockLayout();
    try {
      const onback = vi.fn();
      const onopen = vi.fn();
      const chats = [sampleChat({ title: 'Old group', kind: 'group', archived: true })];
      render(ArchivedList, { props: { chats, selectedId: null, now: Date.now(), onopen, onback } });
      expect(screen.getByRole('heading', { name: 'Archived chats' })).toBeInTheDocument();
      const list = screen.getByRole('listbox', { name: 'Archived chats' });
      expect(list).toContainElement(screen.getByRole('option', { name: 'Old group' }));
      const user = userEvent.setup();
      await user.click(screen.getByRole('option', { name: 'Old group' }));
      expect(onopen).toHaveBeenCalledWith(chats[0]);
      await user.click(screen.getByRole('button', { name: 'Back' }));
      expect(onback).toHaveBeenCalledTimes(1);
    } finally {
      restore();
    }
  });
});
