import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import RequestsEntry from './RequestsEntry.svelte';

describe('RequestsEntry', () => {
  it.each([
    [1, 'Requests (1)', '1'],
    [12, 'Requests (12)', '12'],
    [1_500, 'Requests (1500)', '999+'],
  ])('is a button announced with its count (%i)', (count, name, badge) => {
    render(RequestsEntry, { props: { count, onopen: vi.fn() } });
    const button = screen.getByRole('button', { name });
    expect(button).toHaveTextContent(new RegExp(`^Requests\\s*${badge.replace('+', '\\+')}$`));
  });

  it('opens the requests by click or keyboard', async () => {
    const onopen = vi.fn();
    render(RequestsEntry, { props: { count: 2, onopen } });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Requests (2)' }));
    await user.keyboard('{Enter}');
    await user.keyboard(' ');
    expect(onopen).toHaveBeenCalledTimes(3);
  });
});
