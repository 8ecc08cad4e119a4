import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Connection } from '../api';
import ConnectionIndicator from './ConnectionIndicator.svelte';

const base: Connection = { state: 'online', relayUrl: 'ws://127.0.0.1:8443', retryInMs: 0, error: '', handle: 'ada' };

function setup(connection: Connection | null, retryInMs = 0) {
  const onretry = vi.fn(async () => {});
  const onsettings = vi.fn();
  render(ConnectionIndicator, { props: { connection, retryInMs, onretry, onsettings } });
  return { onretry, onsettings };
}

describe('ConnectionIndicator', () => {
  it('shows nothing before the first report', () => {
    const { container } = render(ConnectionIndicator, {
      props: { connection: null, retryInMs: 0, onretry: async () => {}, onsettings: () => {} },
    });
    expect(container.textContent?.trim()).toBe('');
  });

  it('is invisible but announced when online', () => {
    setup(base);
    const status = screen.getByRole('status');
    expect(status).toHaveTextContent('Online');
    expect(status).toHaveClass('visually-hidden');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('says "Connecting…"', () => {
    setup({ ...base, state: 'connecting' });
    expect(screen.getByRole('status')).toHaveTextContent('Connecting…');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('counts down to the next attempt, says why, and retries now on request', async () => {
    const { onretry } = setup({ ...base, state: 'offline', retryInMs: 12_000, error: 'connection refused' }, 11_200);
    expect(screen.getByRole('status')).toHaveTextContent('Offline — retrying in 12 s');
    expect(screen.getByText('connection refused')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onretry).toHaveBeenCalledTimes(1);
  });

  it('shows a failed retry', async () => {
    const { onretry } = setup({ ...base, state: 'offline' });
    onretry.mockRejectedValueOnce(new Error('vault is locked'));
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry now' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('vault is locked');
  });

  it('sends the user to settings when no relay is set', async () => {
    const { onsettings } = setup({ ...base, state: 'offline', relayUrl: '' });
    expect(screen.getByRole('status')).toHaveTextContent('Offline — no relay set');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Set relay…' }));
    expect(onsettings).toHaveBeenCalled();
  });
});
