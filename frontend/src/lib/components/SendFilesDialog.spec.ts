import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RULES } from '../api';
import { StagingSheet } from '../stores/staging.svelte';
import { createFakeApi } from '../testing/fakeApi';
import SendFilesDialog from './SendFilesDialog.svelte';

function setup(browser = true) {
  const api = { ...createFakeApi({ state: 'unlocked' }), mode: browser ? ('browser' as const) : ('wails' as const) };
  const sheet = new StagingSheet(api);
  const onsend = vi.fn();
  const oncancel = vi.fn();
  const onadd = vi.fn();
  const onaddfiles = vi.fn();
  render(SendFilesDialog, {
    props: { sheet, chatName: 'Bob', onsend, oncancel, ...(browser ? { onaddfiles } : { onadd }) },
  });
  return { api, sheet, onsend, oncancel, onadd, onaddfiles, user: userEvent.setup() };
}

describe('SendFilesDialog', () => {
  it('lists the files with sizes, waits while they are prepared, and sends with Enter in the caption', async () => {
    const { api, sheet, onsend, user } = setup();
    let release: (id: string) => void = () => {};
    api.upload.mockImplementationOnce((file: Blob, name?: string) => {
      const id = `id-${name}`;
      api.backend.staged.set(id, { id, name: name ?? '', mime: '', size: file.size, thumbnail: '', error: '' });
      return new Promise((r) => (release = () => r(id)));
    });
    const adding = sheet.addFiles([new File(['hello'], 'a.txt')]);
    const dialog = await screen.findByRole('dialog', { name: 'Send a file' });
    const list = within(dialog).getByRole('list', { name: 'Files to send' });
    expect(within(list).getByRole('listitem')).toHaveTextContent('a.txt');
    expect(within(dialog).getByRole('status')).toHaveTextContent('5 bytes · Preparing…');
    const send = within(dialog).getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    const caption = within(dialog).getByRole('textbox', { name: 'Caption' });
    await user.type(caption, 'first{Enter}');
    expect(onsend).not.toHaveBeenCalled();
    release('');
    await adding;
    await waitFor(() => expect(send).toBeEnabled());
    expect(within(dialog).queryByText(/Preparing/)).not.toBeInTheDocument();
    await user.type(caption, '{Shift>}{Enter}{/Shift}line{Enter}');
    expect(sheet.caption).toBe('first\nline');
    expect(onsend).toHaveBeenCalledTimes(1);
  });

  it('says why a file cannot go, removes files, and names itself by their count', async () => {
    const { api, sheet, user } = setup();
    const huge = new File(['x'], 'huge.bin');
    Object.defineProperty(huge, 'size', { value: RULES.maxFileBytes + 1 });
    await sheet.addFiles([new File(['1'], 'a.txt'), new File(['2'], 'b.txt'), huge]);
    const dialog = await screen.findByRole('dialog', { name: 'Send 3 files' });
    expect(within(dialog).getByText('The file is too large: at most 100 MB can be sent.')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Remove b.txt' }));
    expect(api.files.discard).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.getByRole('dialog', { name: 'Send 2 files' })).toBeInTheDocument());
  });

  it('cancels with Cancel or Escape, and adds more files where it can', async () => {
    const { sheet, oncancel, onaddfiles, user } = setup();
    await sheet.addFiles([new File(['1'], 'a.txt')]);
    const dialog = await screen.findByRole('dialog', { name: 'Send a file' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await user.keyboard('{Escape}');
    expect(oncancel).toHaveBeenCalledTimes(2);
    const more = dialog.querySelector<HTMLInputElement>('input[type=file]')!;
    const click = vi.spyOn(more, 'click');
    await user.click(within(dialog).getByRole('button', { name: 'Add files…' }));
    expect(click).toHaveBeenCalledTimes(1);
    await user.upload(more, [new File(['2'], 'b.txt')]);
    expect(onaddfiles).toHaveBeenCalledWith([expect.objectContaining({ name: 'b.txt' })]);
  });

  it('adds more with the desktop window’s dialog', async () => {
    const { sheet, onadd, user } = setup(false);
    sheet.addStaged([{ id: 's1', name: 'a.pdf', mime: 'application/pdf', size: 3, thumbnail: '', error: '' }]);
    const dialog = await screen.findByRole('dialog', { name: 'Send a file' });
    expect(dialog.querySelector('input[type=file]')).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Add files…' }));
    expect(onadd).toHaveBeenCalledTimes(1);
  });
});
