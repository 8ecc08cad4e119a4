// Held chats in the whole window against the fake Go side: Go's banner above
// the messages (an alert when the relay tampered with the member list), the
// marker in the chat list, and what takes the composer's place — "Delete
// chat" (asked first) for a chat this account is out of, the composer still
// for one whose messages wait.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatHold, ChatSummary, Message } from '../api';
import { ME, createFakeApi, sampleChat, sampleMessage } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

// Go's sentences (app/wording.go), as the contract carries them.
const HOLD_TEXT: Record<ChatHold, string> = {
  tampered:
    "The relay changed this chat's member list in a way no member signed. To keep your messages from the wrong people, nothing more is sent here.",
  removed: 'Alice removed you from this chat. Its history stays on this device until you delete it.',
  unavailable: 'This chat is not available on this relay. Its history stays on this device until you delete it.',
  request: 'Mallory, who is not in your contacts, added you to this group. Accept to join, or decline.',
  notSecured:
    "This chat was made with an older version of Hush. Its member list is locked until its owner's device secures it.",
  newKey: 'A member left or was removed. New messages wait until an admin shares a new key.',
};

/** The window with one chat, as Go lists it, and its messages. */
function show(chat: ChatSummary, messages: Message[] = []) {
  const api = createFakeApi({ state: 'unlocked' });
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, [{ accountId: ME, handle: 'ada', displayName: 'Ada', role: 'member', isMe: true }]);
  api.backend.messages.set(chat.id, messages);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
  return { api, chat, user: userEvent.setup() };
}

function setup(hold: ChatHold) {
  const out = hold === 'removed' || hold === 'unavailable';
  const chat = sampleChat({
    kind: 'group',
    title: 'Trio',
    myRole: out ? '' : 'member',
    canPost: !out && hold !== 'tampered',
    lastMessage: 'see you',
    lastMessageAt: Date.now() - 1_000,
    hold,
    holdText: HOLD_TEXT[hold],
  });
  return show(chat, [sampleMessage({ chatId: chat.id, senderName: 'Alice', body: 'see you' })]);
}

async function open(user: ReturnType<typeof userEvent.setup>, chat: ChatSummary): Promise<HTMLElement> {
  await user.click(await screen.findByRole('option', { name: chat.title }));
  const pane = await screen.findByRole('region', { name: chat.title });
  await within(pane).findByRole('article', { name: 'Alice: see you' });
  return pane;
}

describe('Held chats', () => {
  it.each([
    ['tampered', 'alert', 'delete'],
    ['removed', 'status', 'delete'],
    ['unavailable', 'status', 'delete'],
    ['newKey', 'status', 'composer'],
    ['notSecured', 'status', 'composer'],
  ] as const)('%s: Go’s banner as a %s, then %s where the composer is', async (hold, role, bottom) => {
    const { user, chat } = setup(hold);
    const pane = await open(user, chat);
    const banner = within(pane).getByText(HOLD_TEXT[hold]).closest(`[role="${role}"]`);
    expect(banner).not.toBeNull();
    if (bottom === 'delete') {
      expect(within(pane).getByRole('button', { name: 'Delete chat' })).toBeInTheDocument();
      expect(within(pane).queryByRole('textbox', { name: 'Message' })).not.toBeInTheDocument();
      expect(within(pane).queryByRole('button', { name: /^Reply to/ })).not.toBeInTheDocument();
    } else {
      expect(within(pane).getByRole('textbox', { name: 'Message' })).toBeInTheDocument();
      expect(within(pane).queryByRole('button', { name: 'Delete chat' })).not.toBeInTheDocument();
    }
  });

  it.each(['tampered', 'removed', 'unavailable', 'newKey', 'notSecured'] as const)(
    '%s: the chat list marks the row, named by Go’s sentence',
    async (hold) => {
      const { chat } = setup(hold);
      const row = await screen.findByRole('option', { name: chat.title });
      const marker = within(row).getByRole('img', { name: HOLD_TEXT[hold] });
      expect(marker).toHaveAttribute('title', HOLD_TEXT[hold]);
      // The option's children are presentational to a screen reader: its description says it.
      expect(row).toHaveAccessibleDescription(expect.stringContaining(HOLD_TEXT[hold]));
    },
  );

  it('an ordinary chat has neither banner nor marker', async () => {
    const { user } = show(sampleChat({ title: 'Bob', lastMessage: 'hi', lastMessageAt: Date.now() }));
    const row = await screen.findByRole('option', { name: 'Bob' });
    expect(within(row).queryByRole('img')).not.toBeInTheDocument();
    await user.click(row);
    const pane = await screen.findByRole('region', { name: 'Bob' });
    expect(within(pane).queryByRole('alert')).not.toBeInTheDocument();
    expect(within(pane).getByRole('textbox', { name: 'Message' })).toBeInTheDocument();
  });

  it('shows the banner as soon as Go holds the open chat', async () => {
    const { api, chat, user } = show(sampleChat({ kind: 'group', title: 'Trio', lastMessageAt: Date.now() }));
    await user.click(await screen.findByRole('option', { name: 'Trio' }));
    const pane = await screen.findByRole('region', { name: 'Trio' });
    expect(within(pane).getByRole('textbox', { name: 'Message' })).toBeInTheDocument();
    api.emit('chat:updated', { ...chat, myRole: '', canPost: false, hold: 'removed', holdText: HOLD_TEXT.removed });
    expect(await within(pane).findByText(HOLD_TEXT.removed)).toBeInTheDocument();
    expect(within(pane).queryByRole('textbox', { name: 'Message' })).not.toBeInTheDocument();
    expect(within(pane).getByRole('button', { name: 'Delete chat' })).toBeInTheDocument();
  });

  it('Delete chat asks first; Cancel keeps the chat', async () => {
    const { api, chat, user } = setup('removed');
    const pane = await open(user, chat);
    await user.click(within(pane).getByRole('button', { name: 'Delete chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete chat' });
    expect(dialog).toHaveTextContent('Delete “Trio” and its history from this device?');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(api.chats.delete).not.toHaveBeenCalled();
    expect(screen.getByRole('option', { name: 'Trio' })).toBeInTheDocument();
    expect(within(pane).getByRole('button', { name: 'Delete chat' })).toHaveFocus();
  });

  it('Delete chat deletes it through Go and closes it', async () => {
    const { api, chat, user } = setup('tampered');
    const pane = await open(user, chat);
    await user.click(within(pane).getByRole('button', { name: 'Delete chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete chat' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(api.chats.delete).toHaveBeenCalledWith(chat.id);
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Trio' })).not.toBeInTheDocument());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByText('Select a chat to start messaging')).toBeInTheDocument();
  });

  it('shows Go’s refusal to delete as Go words it', async () => {
    const { api, chat, user } = setup('removed');
    api.chats.delete.mockRejectedValueOnce(new Error('Not allowed: leave the chat to delete it.'));
    const pane = await open(user, chat);
    await user.click(within(pane).getByRole('button', { name: 'Delete chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete chat' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Not allowed: leave the chat to delete it.');
    expect(screen.getByRole('option', { name: 'Trio' })).toBeInTheDocument();
  });
});
