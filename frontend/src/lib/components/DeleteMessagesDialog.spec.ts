import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import DeleteMessagesDialog from './DeleteMessagesDialog.svelte';

describe('DeleteMessagesDialog', () => {
  it('offers both deletions where allowed, Cancel focused first', async () => {
    const ondelete = vi.fn(async () => {});
    render(DeleteMessagesDialog, { props: { count: 1, forEveryone: true, ondelete, onclose: vi.fn() } });
    expect(screen.getByRole('dialog', { name: 'Delete message' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Delete for everyone' }));
    expect(ondelete).toHaveBeenCalledWith(true);
  });

  it("offers only Delete for me on someone else's messages", async () => {
    const ondelete = vi.fn(async () => {});
    render(DeleteMessagesDialog, { props: { count: 3, forEveryone: false, ondelete, onclose: vi.fn() } });
    expect(screen.getByRole('dialog', { name: 'Delete 3 messages' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete for everyone' })).toBeNull();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Delete for me' }));
    expect(ondelete).toHaveBeenCalledWith(false);
  });

  it("shows Go's refusal", async () => {
    const ondelete = vi.fn(async () => {
      throw new Error('Not allowed: only its author or an admin deletes a message for everyone.');
    });
    render(DeleteMessagesDialog, { props: { count: 1, forEveryone: true, ondelete, onclose: vi.fn() } });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Delete for everyone' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('only its author');
  });
});
