import { render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import SelfDestructCountdown from './SelfDestructCountdown.svelte';

describe('SelfDestructCountdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-03T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts down every second once the message was read, as a named timer', async () => {
    render(SelfDestructCountdown, { ttl: 5, expiresAt: Date.now() + 4_000 });
    const timer = screen.getByRole('timer', { name: 'Disappears in 4 seconds' });
    expect(timer).toHaveTextContent('4s');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(timer).toHaveAccessibleName('Disappears in 3 seconds');
    expect(timer).toHaveTextContent('3s');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(timer).toHaveAccessibleName('Disappears in 1 second');
    expect(timer).toHaveTextContent('1s');
    await vi.advanceTimersByTimeAsync(5_000);
    // Go removes the message; until then the countdown rests at zero.
    expect(timer).toHaveTextContent('0s');
  });

  it('says long times in their two largest units', () => {
    render(SelfDestructCountdown, { ttl: 3600, expiresAt: Date.now() + 3_720_000 });
    const timer = screen.getByRole('timer', { name: 'Disappears in 1 hour 2 minutes' });
    expect(timer).toHaveTextContent('1h 2m');
  });

  it('before reading, says how long a message lasts once read', () => {
    render(SelfDestructCountdown, { ttl: 5, expiresAt: 0 });
    expect(screen.getByText('self-destructs 5 s after reading')).toBeInTheDocument();
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
  });

  it('shows nothing for a message without a self-destruct time', () => {
    const { container } = render(SelfDestructCountdown, { ttl: 0, expiresAt: 0 });
    expect(container).toHaveTextContent('');
  });
});
