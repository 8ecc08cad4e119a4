import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, RULES, type Profile } from '../api';
import { createFakeApi, profileOf, sampleSettings, sampleStatus } from '../testing/fakeApi';
import { createEstimator } from '../strength';
import { createTestContext, renderWithContext } from '../testing/render';
import WelcomeScreen from './WelcomeScreen.svelte';

const strong = 'velvet orbit quartz lantern 93';

function setup() {
  const api = createFakeApi({ state: 'new' });
  const ctx = createTestContext({ api });
  ctx.session.applyStatus(sampleStatus({ state: 'new' }));
  const user = userEvent.setup();
  const result = renderWithContext(WelcomeScreen, {}, ctx);
  const name = screen.getByLabelText('Your name');
  const pass = screen.getByLabelText('Passphrase');
  const confirm = screen.getByLabelText('Confirm passphrase');
  const submit = screen.getByRole('button', { name: 'Create account' });
  return { ...result, api, user, name, pass, confirm, submit };
}

describe('WelcomeScreen validation', () => {
  it('flags every empty field, describes the errors and focuses the first', async () => {
    const { user, name, pass, confirm, submit, api } = setup();
    await user.click(submit);

    await waitFor(() => expect(name).toHaveFocus());
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('Enter your name.');
    expect(pass).toHaveAccessibleDescription(expect.stringContaining('Enter a passphrase.'));
    // Both passphrase fields empty: they match, so only the first is flagged.
    expect(confirm).not.toHaveAttribute('aria-invalid');
    expect(api.account.create).not.toHaveBeenCalled();
  });

  it.each([
    ['a whitespace-only name', '   ', strong, strong, 'Your name', 'Enter your name.'],
    ['a passphrase below the minimum', 'Ada', 'short', 'short', 'Passphrase', `Use at least ${RULES.minPassphraseLength} characters (now 5).`],
    ['a mismatched confirmation', 'Ada', strong, `${strong}!`, 'Confirm passphrase', 'The passphrases do not match.'],
    ['a score-0 passphrase', 'Ada', 'passwordpassword', 'passwordpassword', 'Passphrase', 'This passphrase is too easy to guess. Add more words or characters.'],
  ])('refuses %s', async (_case, nameText, passText, confirmText, field, message) => {
    const { user, name, pass, confirm, submit, api } = setup();
    await user.type(name, nameText);
    await user.type(pass, passText);
    await user.type(confirm, confirmText);
    await user.click(submit);

    const input = screen.getByLabelText(field);
    await waitFor(() => expect(input).toHaveAccessibleDescription(expect.stringContaining(message)));
    expect(input).toHaveFocus();
    expect(api.account.create).not.toHaveBeenCalled();
  });

  it('shows the strength while typing', async () => {
    const { user, pass } = setup();
    expect(screen.getByText('Strength: not set')).toBeInTheDocument();
    await user.type(pass, 'password');
    expect(await screen.findByText(/Strength: too easy to guess/)).toBeInTheDocument();
    await user.clear(pass);
    await user.type(pass, strong);
    expect(await screen.findByText(/Strength: (good|strong)/)).toBeInTheDocument();
    expect(screen.getByRole('meter', { name: 'Passphrase strength' })).toBeInTheDocument();
  });
});

describe('WelcomeScreen strength estimator', () => {
  it('loads the dictionaries when a passphrase field takes focus, not with the screen', async () => {
    const loader = vi.fn(async () => () => ({ score: 4 as const, label: 'strong', warning: '', suggestions: [] }));
    const api = createFakeApi({ state: 'new' });
    const ctx = createTestContext({ api, strength: createEstimator(loader) });
    ctx.session.applyStatus(sampleStatus({ state: 'new' }));
    const user = userEvent.setup();
    renderWithContext(WelcomeScreen, {}, ctx);

    await user.type(screen.getByLabelText('Your name'), 'Ada');
    expect(loader).not.toHaveBeenCalled();
    await user.click(screen.getByLabelText('Passphrase'));
    expect(loader).toHaveBeenCalledTimes(1);
    await user.click(screen.getByLabelText('Confirm passphrase'));
    expect(loader).toHaveBeenCalledTimes(1);
  });
});

describe('WelcomeScreen creating the account', () => {
  it('shows progress and disables the button while Go creates the vault', async () => {
    const { user, name, pass, confirm, submit, api, ctx } = setup();
    let finish!: (p: Profile) => void;
    api.account.create.mockImplementationOnce(() => new Promise<Profile>((r) => (finish = r)));

    await user.type(name, '  Ada  ');
    await user.type(pass, strong);
    await user.type(confirm, strong);
    await user.click(submit);

    expect(await screen.findByText('Creating your vault…')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Creating your vault' })).toBeInTheDocument();
    expect(submit).toBeDisabled();
    await user.click(submit); // a second click must not start a second vault
    expect(api.account.create).toHaveBeenCalledTimes(1);
    expect(api.account.create).toHaveBeenCalledWith('Ada', strong);

    finish(profileOf(sampleSettings));
    await waitFor(() => expect(ctx.session.screen).toBe('main'));
    expect(ctx.session.profile?.displayName).toBe('Ada');
  });

  it('shows Go’s error and lets the user try again', async () => {
    const { user, name, pass, confirm, submit, api, ctx } = setup();
    api.account.create.mockRejectedValueOnce(new ApiError('cannot write /data/vault.db: disk full'));

    await user.type(name, 'Ada');
    await user.type(pass, strong);
    await user.type(confirm, strong);
    await user.click(submit);

    expect(await screen.findByRole('alert')).toHaveTextContent('cannot write /data/vault.db: disk full');
    expect(submit).toBeEnabled();
    expect(ctx.session.screen).toBe('welcome');
  });
});
