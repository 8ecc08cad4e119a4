import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Messenger } from '../messenger.svelte';
import { createFakeApi, sampleChat } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import ChatFoldersDialog from './ChatFoldersDialog.svelte';
import FoldersDialog from './FoldersDialog.svelte';

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const messenger = new Messenger(api, attentiveEnv());
  return { api, messenger, user: userEvent.setup() };
}

describe('FoldersDialog', () => {
  it('creates, renames and deletes folders', async () => {
    const { api, messenger, user } = setup();
    const onclose = vi.fn();
    renderWithContext(FoldersDialog, { onclose }, createTestContext({ api }), messenger);
    expect(screen.getByRole('dialog', { name: 'Chat folders' })).toBeInTheDocument();
    expect(screen.getByText('No folders yet.')).toBeInTheDocument();

    await user.type(screen.getByLabelText('New folder'), 'Work{Enter}');
    const list = await screen.findByRole('list', { name: 'Your folders' });
    expect(within(list).getByText('Work')).toBeInTheDocument();
    expect(within(list).getByText('No chats')).toBeInTheDocument();
    expect(screen.getByLabelText('New folder')).toHaveValue('');

    await user.click(screen.getByRole('button', { name: 'Rename folder “Work”' }));
    const field = screen.getByLabelText('New name for “Work”');
    await user.clear(field);
    await user.type(field, 'Office{Enter}');
    await waitFor(() => expect(within(list).getByText('Office')).toBeInTheDocument());
    expect(api.chats.renameFolder).toHaveBeenCalledWith(api.backend.folders[0]!.id, 'Office');

    await user.click(screen.getByRole('button', { name: 'Delete folder “Office”' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete folder “Office”' });
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.getByText('No folders yet.')).toBeInTheDocument());
    expect(api.backend.folders).toEqual([]);
    expect(onclose).not.toHaveBeenCalled();
  });

  it('says what is wrong with a name, and Go’s refusal', async () => {
    const { api, messenger, user } = setup();
    renderWithContext(FoldersDialog, { onclose: vi.fn() }, createTestContext({ api }), messenger);
    await user.click(screen.getByRole('button', { name: 'Create folder' }));
    expect(screen.getByLabelText('New folder')).toHaveAccessibleDescription('Enter a name for the folder.');
    expect(api.chats.createFolder).not.toHaveBeenCalled();
    api.chats.createFolder.mockRejectedValueOnce(new Error('Too long: a folder name holds at most 24 characters'));
    await user.type(screen.getByLabelText('New folder'), 'x{Enter}');
    await waitFor(() =>
      expect(screen.getByLabelText('New folder')).toHaveAccessibleDescription(
        'Too long: a folder name holds at most 24 characters',
      ),
    );
  });
});

describe('ChatFoldersDialog', () => {
  it('files a chat under the folders ticked, and can make a new one', async () => {
    const { api, messenger, user } = setup();
    const chat = sampleChat({ title: 'Grace' });
    api.backend.chats.set(chat.id, chat);
    await api.chats.createFolder('Family');
    await api.chats.createFolder('Work');
    await messenger.loadFolders();
    const onclose = vi.fn();
    renderWithContext(ChatFoldersDialog, { chat, onclose }, createTestContext({ api }), messenger);
    const dialog = screen.getByRole('dialog', { name: 'Folders for “Grace”' });
    await user.click(within(dialog).getByRole('checkbox', { name: 'Work' }));
    await user.type(within(dialog).getByLabelText('Or a new folder'), 'Friends');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    const byName = Object.fromEntries(api.backend.folders.map((f) => [f.name, f.chatIds]));
    expect(byName).toEqual({ Family: [], Friends: [chat.id], Work: [chat.id] });
    expect(messenger.folders.of(chat.id)).toHaveLength(2);
  });

  it('unticking takes the chat out', async () => {
    const { api, messenger, user } = setup();
    const chat = sampleChat({ title: 'Grace' });
    api.backend.chats.set(chat.id, chat);
    const work = await api.chats.createFolder('Work');
    await api.chats.setChatFolders(chat.id, [work.id]);
    await messenger.loadFolders();
    const onclose = vi.fn();
    renderWithContext(ChatFoldersDialog, { chat, onclose }, createTestContext({ api }), messenger);
    const box = screen.getByRole('checkbox', { name: 'Work' });
    expect(box).toBeChecked();
    await user.click(box);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(api.chats.setChatFolders).toHaveBeenLastCalledWith(chat.id, []);
    expect(api.backend.folders[0]!.chatIds).toEqual([]);
  });
});
