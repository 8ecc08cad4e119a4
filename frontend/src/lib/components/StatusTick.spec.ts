import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import StatusTick from './StatusTick.svelte';

function strokes(name: string): string[] {
  return [...screen.getByRole('img', { name }).querySelectorAll('path')].map((p) => p.getAttribute('stroke-width') ?? '');
}

describe('StatusTick', () => {
  it.each([
    ['pending', 'Pending'],
    ['sent', 'Sent'],
    ['delivered', 'Delivered'],
    ['read', 'Read'],
    ['failed', 'Failed to send'],
  ] as const)('names %s for screen readers', (status, name) => {
    render(StatusTick, { props: { status } });
    expect(screen.getByRole('img', { name })).toBeInTheDocument();
  });

  it('draws read apart from delivered in shape, not only in colour', () => {
    const { unmount } = render(StatusTick, { props: { status: 'delivered' } });
    const delivered = strokes('Delivered');
    unmount();
    render(StatusTick, { props: { status: 'read' } });
    const read = strokes('Read');
    expect(delivered).toHaveLength(2);
    expect(read).toHaveLength(2);
    expect(Number(read[0])).toBeGreaterThan(Number(delivered[0]));
    expect(screen.getByRole('img', { name: 'Read' })).toHaveClass('read');
  });
});
