import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { sampleMessage } from '../testing/fakeApi';
import PinnedBar from './PinnedBar.svelte';

describe('PinnedBar', () => {
  it('shows the newest pin, jumps to it, then cycles to older ones', async () => {
    const older = sampleMessage({ body: 'the address', pinned: true });
    const newer = sampleMessage({ body: 'the time', pinned: true });
    const onjump = vi.fn();
    render(PinnedBar, { props: { pins: [older, newer], onjump } });
    expect(screen.getByRole('region', { name: 'Pinned messages' })).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Pinned message 2 of 2.*the time/ }));
    expect(onjump).toHaveBeenCalledWith(newer);
    await user.click(screen.getByRole('button', { name: /Pinned message 1 of 2.*the address/ }));
    expect(onjump).toHaveBeenLastCalledWith(older);
  });

  it('unpins where allowed, and shows nothing without pins', async () => {
    const m = sampleMessage({ body: 'x', pinned: true });
    const onunpin = vi.fn();
    const { rerender } = render(PinnedBar, { props: { pins: [m], onjump: vi.fn(), onunpin } });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Unpin message' }));
    expect(onunpin).toHaveBeenCalledWith(m);
    await rerender({ pins: [], onjump: vi.fn(), onunpin });
    expect(screen.queryByRole('region', { name: 'Pinned messages' })).toBeNull();
  });
});
