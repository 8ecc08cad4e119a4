import { fireEvent, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Status } from '../api';
import { createFakeApi } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import UnlockScreen from './UnlockScreen.svelte';

// Lets pending promise chains (fake API → component) settle.
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
    await tick();
  }
}

function setup(status: Partial<Status> = {}) {
  const api = createFakeApi({ state: 'locked', ...status });
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  const result = renderWithContext(UnlockScreen, {}, ctx);
  const field = screen.getByLabelText('Passphrase');
  const button = screen.getByRole('button', { name: 'Unlock' });
  async function attempt(passphrase: string): Promise<void> {
    await fireEvent.input(field, { target: { value: passphrase } });
    await fireEvent.submit(field.closest('form')!);
    await settle();
  }
  return { ...result, api, field, button, attempt };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('UnlockScreen', () => {
  it('starts with focus in the passphrase field', () => {
    const { field } = setup();
    expect(field).toHaveFocus();
  });

  it('shows Go’s error for a wrong passphrase in an alert and keeps focus in the field', async () => {
    const { field, button, attempt, ctx } = setup();
    await attempt('not it');

    expect(screen.getByRole('alert')).toHaveTextContent('wrong passphrase');
    expect(field).toHaveFocus();
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription('wrong passphrase');
    expect(button).toBeEnabled();
    expect(ctx.session.screen).toBe('unlock');
  });

  it('asks for a passphrase instead of sending an empty one', async () => {
    const { attempt, api } = setup();
    await attempt('');
    expect(screen.getByRole('alert')).toHaveTextContent('Enter your passphrase.');
    expect(api.account.unlock).not.toHaveBeenCalled();
  });

  it('counts down and disables Unlock while Status names a wait', async () => {
    const { api, button, attempt, field } = setup();
    api.account.unlock.mockImplementationOnce(async () => {
      api.backend.status = { ...api.backend.status, retryAfterMs: 30_000 };
      throw new ApiError('too many attempts', 429);
    });
    await attempt('guess 5');

    expect(screen.getByRole('alert')).toHaveTextContent('too many attempts');
    expect(screen.getByRole('timer')).toHaveTextContent('You can try again in 30 seconds.');
    expect(button).toBeDisabled();
    expect(field).toHaveFocus();

    // Enter during the wait sends nothing.
    await fireEvent.submit(field.closest('form')!);
    await settle();
    expect(api.account.unlock).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(29_000);
    expect(screen.getByRole('timer')).toHaveTextContent('You can try again in 1 second.');
    expect(button).toBeDisabled();

    await vi.advanceTimersByTimeAsync(1_000);
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
    expect(button).toBeEnabled();
  });

  it('falls back to the wait named in the error when Status cannot be read', async () => {
    const { api, button, attempt } = setup();
    api.account.unlock.mockRejectedValueOnce(new ApiError('too many attempts; try again in 5s', 429));
    api.account.status.mockRejectedValueOnce(new ApiError('Cannot reach Hush: Failed to fetch'));
    await attempt('guess');

    expect(screen.getByRole('timer')).toHaveTextContent('You can try again in 5 seconds.');
    expect(button).toBeDisabled();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(button).toBeEnabled();
  });

  it('honours a wait already in Status when the screen opens', async () => {
    const { button } = setup({ retryAfterMs: 90_000 });
    await settle();
    expect(button).toBeDisabled();
    expect(screen.getByRole('timer')).toHaveTextContent('You can try again in 1:30.');
    await vi.advanceTimersByTimeAsync(90_000);
    expect(button).toBeEnabled();
  });

  it('unlocks with the right passphrase and shows progress meanwhile', async () => {
    const { api, attempt, ctx, field } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const real = api.account.unlock.getMockImplementation()!;
    api.account.unlock.mockImplementationOnce(async (p: string) => {
      await gate;
      return real(p);
    });

    await attempt(api.backend.passphrase);
    expect(screen.getByRole('button', { name: 'Unlocking…' })).toBeDisabled();
    expect(screen.getByRole('progressbar', { name: 'Unlocking your vault' })).toBeInTheDocument();
    expect(field).toHaveAttribute('readonly');

    release();
    await settle();
    expect(api.account.unlock).toHaveBeenCalledWith('correct horse battery staple');
    expect(ctx.session.screen).toBe('main');
  });

  it.each([
    ['itself after inactivity', 'idle', 'Locked after inactivity'],
    ['because its data folder disappeared', 'storage', 'the data folder disappeared'],
] as const)('says the vault locked %s', (_what, reason, text) => {
    const api = createFakeApi({ state: 'locked' });
    const ctx = createTestContext({ api });
    ctx.session.applyStatus({ ...api.backend.status, state: 'unlocked' });
    ctx.session.locked(reason);
    renderWithContext(UnlockScreen, {}, ctx);
    expect(screen.getByRole('status')).toHaveTextContent(text);
  });
});
