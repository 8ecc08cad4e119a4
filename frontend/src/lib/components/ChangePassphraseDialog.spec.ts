import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RULES } from '../api';
import { createFakeApi } from '../testing/fakeApi';
import { createTestContext, instantEstimator, renderWithContext } from '../testing/render';
import ChangePassphraseDialog from './ChangePassphraseDialog.svelte';

const strong = 'velvet orbit quartz lantern 93';

async function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const ctx = createTestContext({ api });
  const onclose = vi.fn();
  const onchanged = vi.fn();
  const user = userEvent.setup();
  renderWithContext(ChangePassphraseDialog, { displayName: 'Ada', onclose, onchanged }, ctx);
  await screen.findByRole('dialog', { name: 'Change passphrase' });
  const current = screen.getByLabelText('Current passphrase');
  const next = screen.getByLabelText('New passphrase');
  const confirm = screen.getByLabelText('Confirm new passphrase');
  const submit = screen.getByRole('button', { name: 'Change passphrase' });
  return { api, user, onclose, onchanged, current, next, confirm, submit };
}

describe('ChangePassphraseDialog', () => {
  it('lets the strength estimator go when it closes', async () => {
    const checker = vi.fn(() => ({ score: 4 as const, label: 'strong', warning: '', suggestions: [] }));
    const strength = instantEstimator(checker);
    await strength.load();
    const ctx = createTestContext({ api: createFakeApi({ state: 'unlocked' }), strength });
    const { unmount } = renderWithContext(ChangePassphraseDialog, { displayName: 'Ada', onclose: vi.fn(), onchanged: vi.fn() }, ctx);
    await screen.findByRole('dialog', { name: 'Change passphrase' });
    expect(strength.ready).toBe(checker);
    unmount();
    expect(strength.ready).toBeNull();
  });

  it('starts in the current passphrase field', async () => {
    const { current } = await setup();
    expect(current).toHaveFocus();
  });

  it('changes the passphrase through Go and reports back', async () => {
    const { user, api, current, next, confirm, submit, onchanged } = await setup();
    await user.type(current, api.backend.passphrase);
    await user.type(next, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    await waitFor(() => expect(onchanged).toHaveBeenCalledTimes(1));
    expect(api.account.changePassphrase).toHaveBeenCalledWith('correct horse battery staple', strong);
  });

  it('shows Go’s error for a wrong current passphrase and returns focus there', async () => {
    const { user, current, next, confirm, submit, onchanged } = await setup();
    await user.type(current, 'not my passphrase');
    await user.type(next, strong);
    await user.type(confirm, strong);
    await user.click(submit);
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong passphrase');
    await waitFor(() => expect(current).toHaveFocus());
    expect(onchanged).not.toHaveBeenCalled();
  });

  it.each([
    ['no current passphrase', '', strong, strong, 'Current passphrase', 'Enter your current passphrase.'],
    ['a short new passphrase', 'x', 'short', 'short', 'New passphrase', `Use at least ${RULES.minPassphraseLength} characters (now 5).`],
    ['a guessable new passphrase', 'x', 'passwordpassword', 'passwordpassword', 'New passphrase', 'too easy to guess'],
    ['the same passphrase again', strong, strong, strong, 'New passphrase', 'must differ from the current one'],
    ['a mismatched confirmation', 'x', strong, 'velvet orbit', 'Confirm new passphrase', 'The passphrases do not match.'],
  ])('refuses %s before calling Go', async (_case, cur, nxt, conf, field, message) => {
    const { user, api, current, next, confirm, submit } = await setup();
    if (cur) await user.type(current, cur);
    await user.type(next, nxt);
    await user.type(confirm, conf);
    await user.click(submit);
    const input = screen.getByLabelText(field);
    await waitFor(() => expect(input).toHaveAccessibleDescription(expect.stringContaining(message)));
    expect(input).toHaveFocus();
    expect(api.account.changePassphrase).not.toHaveBeenCalled();
  });

  it('Cancel closes without changing anything', async () => {
    const { user, onclose, api } = await setup();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(api.account.changePassphrase).not.toHaveBeenCalled();
  });
});
