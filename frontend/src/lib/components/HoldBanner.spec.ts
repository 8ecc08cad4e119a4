import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ChatHold } from '../api';
import HoldBanner from './HoldBanner.svelte';
import HoldIcon from './HoldIcon.svelte';

describe('HoldBanner', () => {
  it.each([
    ['tampered', 'alert'],
    ['removed', 'status'],
    ['unavailable', 'status'],
    ['request', 'status'],
    ['notSecured', 'status'],
    ['newKey', 'status'],
  ] as [ChatHold, string][])('%s: Go’s sentence as it is, in a %s', (hold, role) => {
    const text = `Go's sentence for ${hold}.`;
    render(HoldBanner, { props: { hold, text } });
    const banner = screen.getByRole(role);
    expect(banner).toHaveTextContent(text);
    expect(banner.textContent?.trim()).toBe(text); // no words of the UI's own
    // The icon beside the sentence is decoration, not a second announcement.
    expect(within(banner).queryByRole('img')).not.toBeInTheDocument();
  });
});

describe('HoldIcon', () => {
  it('is an image named by Go’s sentence, with it as its tooltip', () => {
    render(HoldIcon, { props: { hold: 'removed', label: 'Alice removed you from this chat.' } });
    expect(screen.getByRole('img', { name: 'Alice removed you from this chat.' })).toHaveAttribute(
      'title',
      'Alice removed you from this chat.',
    );
  });

  it('is hidden from assistive technology without a label', () => {
    const { container } = render(HoldIcon, { props: { hold: 'tampered', label: '' } });
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
    expect(container.querySelector('[aria-hidden="true"]')).not.toBeNull();
  });
});
