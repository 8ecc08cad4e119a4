// Files in an open chat against the fake Go side: the paperclip and Ctrl+O
// (a file input in browser mode, Go's dialog in the desktop window), the send
// sheet, the pending upload that becomes the message, dragging files over the
// chat, files dropped on the desktop window (files:dropped), and secret chats,
// which take them too.

import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileInfo, StagedFile } from '../api';
import { addChat, createFakeApi, sampleChat, sampleContact, sampleMessage } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

function setup(mode: 'browser' | 'wails' = 'browser') {
  const base = createFakeApi({ state: 'unlocked' });
  const api = mode === 'browser' ? base : { ...base, mode };
  const bob = sampleContact('bob', { displayName: 'Bob' });
  api.backend.contacts.set(bob.accountId, bob);
  const direct = sampleChat({ title: 'Bob', peerId: bob.accountId, lastMessageAt: Date.now() - 1000 });
  addChat(api, direct, [bob]);
  const secret = sampleChat({ title: 'Bob', kind: 'secret', peerId: bob.accountId, secretDeviceName: 'Bob’s phone' });
  addChat(api, secret, [bob]);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
  return { api, bob, direct, secret, user: userEvent.setup() };
}

async function open(user: ReturnType<typeof userEvent.setup>, name: RegExp | string) {
  const option = (await screen.findAllByRole('option', { name }))[0]!;
  await user.click(option);
  return screen.findByRole('region', { name: typeof name === 'string' ? name : /Bob/ });
}

/** A drag's data as jsdom lacks DataTransfer. */
function dragOf(files: File[]) {
  return { types: ['Files'], items: files.map((f) => ({ kind: 'file', getAsFile: () => f })), files };
}

describe('files in a conversation', () => {
  it('attaches with the paperclip, sends from the sheet and shows the upload until it is the message', async () => {
    const { api, direct, user } = setup();
    const pane = await open(user, 'Bob');
    const input = pane.querySelector<HTMLInputElement>('input[type=file]')!;
    const click = vi.spyOn(input, 'click');
    await user.click(within(pane).getByRole('button', { name: 'Attach files' }));
    expect(click).toHaveBeenCalledTimes(1);
    await user.upload(input, [new File(['hello'], 'a.txt', { type: 'text/plain' }), new File(['png'], 'b.png', { type: 'image/png' })]);

    const sheet = await screen.findByRole('dialog', { name: 'Send 2 files' });
    expect(within(sheet).getByText('To Bob')).toBeInTheDocument();
    await waitFor(() => expect(within(sheet).getByRole('button', { name: 'Send' })).toBeEnabled());
    await user.type(within(sheet).getByRole('textbox', { name: 'Caption' }), 'two files');
    await user.click(within(sheet).getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const ids = [...api.backend.staged.keys()];
    expect(api.files.sendFiles).toHaveBeenCalledWith(direct.id, ids, 'two files');
    const pending = await within(pane).findByRole('group', { name: 'Sending a.txt and b.png' });
    expect(within(pending).getByRole('progressbar', { name: 'Sending a.txt and b.png' })).toBeInTheDocument();

    // Go tells of the message, then ends the transfer: the upload gives way to it.
    const transfer = await api.files.sendFiles.mock.results[0]!.value;
    const files: FileInfo[] = [
      { id: ids[0]!, name: 'a.txt', mime: 'text/plain', size: 5, thumbnail: '', downloaded: true },
      { id: ids[1]!, name: 'b.png', mime: 'image/png', size: 3, thumbnail: 'data:image/jpeg;base64,/9j/', downloaded: true },
    ];
    api.emit('message:new', sampleMessage({ id: 'm1', chatId: direct.id, outgoing: true, senderId: '', body: 'two files', files }));
    api.emit('file:progress', { transfer, direction: 'upload', chatId: direct.id, fileId: '', name: '', index: 0, done: 0, total: 0, ended: true, error: '', messageId: 'm1' });
    const message = await within(pane).findByRole('article', { name: 'You: a.txt and b.png, two files' });
    expect(within(message).getByRole('img', { name: 'b.png' })).toBeInTheDocument();
    expect(within(message).getByRole('button', { name: 'Save a.txt as…' })).toBeInTheDocument();
    await waitFor(() => expect(within(pane).queryByRole('group', { name: /^Sending/ })).not.toBeInTheDocument());
  });

  it('opens the picker with Ctrl+O', async () => {
    const { user } = setup();
    const pane = await open(user, 'Bob');
    const click = vi.spyOn(pane.querySelector<HTMLInputElement>('input[type=file]')!, 'click');
    await user.keyboard('{Control>}o{/Control}');
    expect(click).toHaveBeenCalledTimes(1);
  });

  it('shows where to drop while files are dragged over the chat, and takes a drop into the sheet', async () => {
    const { api, user } = setup();
    const pane = await open(user, 'Bob');
    const file = new File(['# notes'], 'notes.md', { type: 'text/markdown' });
    await fireEvent.dragEnter(pane, { dataTransfer: dragOf([file]) });
    expect(within(pane).getByText('Drop files here to send them to Bob')).toBeInTheDocument();
    await fireEvent.dragLeave(pane, { dataTransfer: dragOf([file]) });
    expect(within(pane).queryByText(/Drop files here/)).not.toBeInTheDocument();
    await fireEvent.dragEnter(pane, { dataTransfer: dragOf([file]) });
    // Text dragged within the page is none of this.
    await fireEvent.drop(pane, { dataTransfer: { types: ['text/plain'], items: [], files: [] } });
    expect(within(pane).getByText(/Drop files here/)).toBeInTheDocument();
    await fireEvent.drop(pane, { dataTransfer: dragOf([file]) });
    expect(within(pane).queryByText(/Drop files here/)).not.toBeInTheDocument();
    const sheet = await screen.findByRole('dialog', { name: 'Send a file' });
    expect(within(sheet).getByRole('listitem')).toHaveTextContent('notes.md');
    expect(api.upload.mock.calls[0]![1]).toBe('notes.md');
    // Cancel: Go deletes what it staged.
    await waitFor(() => expect(within(sheet).getByRole('button', { name: 'Send' })).toBeEnabled());
    const staged = [...api.backend.staged.keys()];
    await user.click(within(sheet).getByRole('button', { name: 'Cancel' }));
    expect(api.files.discard).toHaveBeenCalledWith(staged);
    expect(api.backend.staged.size).toBe(0);
  });

  it('takes files in a secret chat as in any chat: they can be saved, never forwarded', async () => {
    const { api, secret, user } = setup();
    const pane = await open(user, /Secret chat with Bob|Bob’s phone/);
    const clip = within(pane).getByRole('button', { name: 'Attach files' });
    expect(clip).not.toHaveAttribute('aria-disabled', 'true');
    const file = new File(['png'], 'holiday.png', { type: 'image/png' });
    await fireEvent.dragEnter(pane, { dataTransfer: dragOf([file]) });
    expect(within(pane).getByText(/Drop files here/, { selector: '.drop-zone p' })).toBeInTheDocument();
    await fireEvent.drop(pane, { dataTransfer: dragOf([file]) });
    const sheet = await screen.findByRole('dialog', { name: 'Send a file' });
    await waitFor(() => expect(within(sheet).getByRole('button', { name: 'Send' })).toBeEnabled());
    await user.click(within(sheet).getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(api.files.sendFiles).toHaveBeenCalledWith(secret.id, [...api.backend.staged.keys()], ''));

    const files: FileInfo[] = [{ id: 'f1', name: 'holiday.png', mime: 'image/png', size: 3, thumbnail: 'data:image/jpeg;base64,/9j/', downloaded: true }];
    api.emit('message:new', sampleMessage({ id: 'm1', chatId: secret.id, senderId: 'bob', body: '', files, ttl: 5 }));
    const message = await within(pane).findByRole('article', { name: /holiday\.png/ });
    expect(within(message).getByRole('button', { name: 'Save holiday.png as…' })).toBeInTheDocument();
    await user.pointer({ keys: '[MouseRight]', target: message });
    const menu = await screen.findByRole('menu');
    expect(within(menu).queryByRole('menuitem', { name: 'Forward…' })).not.toBeInTheDocument();
  });

  it('in the desktop window, picks with Go’s dialog and takes the files dropped on the window', async () => {
    const { api, user } = setup('wails');
    const dropped: StagedFile = { id: 'd1', name: 'report.pdf', mime: 'application/pdf', size: 2048, thumbnail: '', error: '' };
    // No chat open: what is dropped is not kept.
    api.emit('files:dropped', { files: [dropped] });
    await waitFor(() => expect(api.files.discard).toHaveBeenCalledWith(['d1']));

    const pane = await open(user, 'Bob');
    expect(pane.querySelector('input[type=file]')).toBeNull();
    // WebKitGTK shows the dragged files as URIs: the zone shows, and the page
    // cancels the drop (else the WebView opens the file); Go has the paths.
    const uris = { types: ['text/uri-list', 'text/html'], items: [], files: [] };
    await fireEvent.dragEnter(pane, { dataTransfer: uris });
    expect(within(pane).getByText('Drop files here to send them to Bob')).toBeInTheDocument();
    expect(await fireEvent.drop(pane, { dataTransfer: uris })).toBe(false);
    expect(within(pane).queryByText(/Drop files here/)).not.toBeInTheDocument();
    expect(api.upload).not.toHaveBeenCalled();
    api.backend.chosenFiles = [{ id: 'c1', name: 'photo.jpg', mime: 'image/jpeg', size: 4096, thumbnail: 'data:image/jpeg;base64,/9j/', error: '' }];
    await user.click(within(pane).getByRole('button', { name: 'Attach files' }));
    expect(api.files.chooseFiles).toHaveBeenCalledTimes(1);
    const sheet = await screen.findByRole('dialog', { name: 'Send a file' });
    api.emit('files:dropped', { files: [dropped, { id: '', name: 'Photos', mime: '', size: 0, thumbnail: '', error: 'Only files can be sent, not folders.' }] });
    await waitFor(() => expect(within(sheet).getAllByRole('listitem')).toHaveLength(3));
    expect(within(sheet).getByText('Only files can be sent, not folders.')).toBeInTheDocument();
    expect(screen.getByRole('dialog', { name: 'Send 3 files' })).toBe(sheet);
  });
});
