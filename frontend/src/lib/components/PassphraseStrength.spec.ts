import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { loadZxcvbnChecker, type Strength } from '../strength';
import PassphraseStrength from './PassphraseStrength.svelte';

// The meter's current value, whether Svelte set it as attribute or property.
const valueOf = (el: HTMLElement): number => Number((el as HTMLMeterElement).value);

const s = (score: Strength['score'], label: string, warning = ''): Strength => ({
  score,
  label,
  warning,
  suggestions: [],
});

describe('PassphraseStrength', () => {
  it.each([
    [s(0, 'too easy to guess', 'This is a top-10 common password.'), 'Strength: too easy to guess'],
    [s(1, 'weak'), 'Strength: weak'],
    [s(2, 'fair'), 'Strength: fair'],
    [s(3, 'good'), 'Strength: good'],
    [s(4, 'strong'), 'Strength: strong'],
  ])('shows %j as "%s" with a named meter', (strength, text) => {
    render(PassphraseStrength, { props: { strength } });
    const meter = screen.getByRole('meter', { name: 'Passphrase strength' });
    expect(meter).toHaveAttribute('aria-valuetext', strength.label);
    expect(valueOf(meter)).toBe(strength.score + 1);
    expect(screen.getByText(text, { exact: false })).toBeInTheDocument();
  });

  it('shows zxcvbn’s warning only for weak scores', () => {
    const { rerender } = render(PassphraseStrength, {
      props: { strength: s(0, 'too easy to guess', 'This is a top-10 common password.') },
    });
    expect(screen.getByText(/top-10 common password/)).toBeInTheDocument();
    rerender({ strength: s(4, 'strong', 'ignored') });
    expect(screen.queryByText(/ignored/)).not.toBeInTheDocument();
  });

  it('says "not set" when empty and "checking…" while loading', () => {
    const { rerender } = render(PassphraseStrength, { props: { strength: null } });
    expect(screen.getByText('Strength: not set')).toBeInTheDocument();
    expect(valueOf(screen.getByRole('meter', { name: 'Passphrase strength' }))).toBe(0);
    rerender({ strength: null, loading: true });
    expect(screen.getByText('Strength: checking…')).toBeInTheDocument();
  });

  it('shows real zxcvbn estimates: a common password is too easy to guess', async () => {
    const check = await loadZxcvbnChecker();
    const { rerender } = render(PassphraseStrength, { props: { strength: check('password', []) } });
    expect(screen.getByText(/Strength: too easy to guess/)).toBeInTheDocument();
    rerender({ strength: check('velvet orbit quartz lantern 93', []) });
    expect(screen.getByText(/Strength: (good|strong)/)).toBeInTheDocument();
  });
});
