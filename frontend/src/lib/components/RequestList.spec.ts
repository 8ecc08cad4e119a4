import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleChat } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import RequestList from './RequestList.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

const now = new Date(2026, 4, 20, 15, 0).getTime();
const requests = [
  sampleChat({ title: 'Stranger', lastMessage: 'hi?', lastMessageAt: now - 1_000, unread: 2, hold: 'request', holdText: 'x' }),
  sampleChat({ title: 'Offer', kind: 'group', lastMessageAt: now - 2_000, hold: 'request', holdText: 'y' }),
];

describe('RequestList', () => {
  it('lists the requests under its heading and opens one', async () => {
    const onopen = vi.fn();
    render(RequestList, { props: { requests, selectedId: null, now, onopen, onback: vi.fn() } });
    expect(screen.getByRole('heading', { name: 'Requests' })).toBeInTheDocument();
    const list = screen.getByRole('listbox', { name: 'Requests' });
    expect(within(list).getAllByRole('option').map((o) => o.getAttribute('aria-label'))).toEqual(['Stranger', 'Offer']);
    await userEvent.setup().click(within(list).getByRole('option', { name: 'Offer' }));
    expect(onopen).toHaveBeenCalledWith(requests[1]);
  });

  it('goes back to the chats', async () => {
    const onback = vi.fn();
    render(RequestList, { props: { requests, selectedId: requests[0]!.id, now, onopen: vi.fn(), onback } });
    expect(screen.getByRole('option', { name: 'Stranger' })).toHaveAttribute('aria-selected', 'true');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Back to chats' }));
    expect(onback).toHaveBeenCalledTimes(1);
  });
});
