// Secret chats in the messaging window against the fake Go side: starting
// one with a device of a contact, its header and bar (timer, Verify, Close),
// telling Go while one is on screen, and messages that self-destruct.

import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, RULES, type ChatSummary, type Contact, type Device } from '../api';
import { secretTimerLabel } from '../format';
import { ME, createFakeApi, sampleChat, sampleContact, sampleMessage, type FakeApi } from '../testing/fakeApi';
import { mockLayout } from '../testing/layout';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MainWindow from './MainWindow.svelte';

let restoreLayout: () => void = () => {};
beforeEach(() => {
  restoreLayout = mockLayout();
});
afterEach(() => restoreLayout());

const DAY = 86_400_000;

function device(name: string, linkedAt: number): Device {
  return { id: `${name.length}`.padEnd(32, name.charAt(0).toLowerCase()), name, platform: 'linux', linkedAt, this: false, lastSeen: 0 };
}

function addChat(api: FakeApi, chat: ChatSummary, peer: Contact): void {
  api.backend.chats.set(chat.id, chat);
  api.backend.members.set(chat.id, [
    { accountId: ME, handle: 'ada', displayName: 'Ada', role: 'owner', isMe: true },
    { accountId: peer.accountId, handle: peer.handle, displayName: peer.displayName, role: 'member', isMe: false },
  ]);
  api.backend.messages.set(chat.id, []);
}

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const bob = sampleContact('bob', { displayName: 'Bob' });
  api.backend.contacts.set(bob.accountId, bob);
  const laptop = device('Bob’s laptop', Date.now() - 2 * DAY);
  const phone = device('Bob’s phone', Date.now());
  api.backend.contactDevices.set(bob.accountId, [phone, laptop]);
  const direct = sampleChat({ title: 'Bob', peerId: bob.accountId, lastMessageAt: Date.now() - 1000 });
  addChat(api, direct, bob);
  const ctx = createTestContext({ api });
  ctx.session.applyStatus({ ...api.backend.status });
  const { unmount } = renderWithContext(MainWindow, { env: attentiveEnv() }, ctx);
  return { api, ctx, bob, laptop, phone, direct, unmount, user: userEvent.setup() };
}

/** A secret chat with Bob's laptop, already in the list. */
function addSecret(api: FakeApi, bob: Contact, laptop: Device, over: Partial<ChatSummary> = {}): ChatSummary {
  const chat = sampleChat({
    kind: 'secret',
    title: 'Bob',
    peerId: bob.accountId,
    secretDeviceId: laptop.id,
    secretDeviceName: laptop.name,
    lastMessageAt: Date.now(),
    ...over,
  });
  addChat(api, chat, bob);
  api.emit('chat:updated', chat);
  return chat;
}

const LAPTOP_CHAT = 'Secret chat with Bob (Bob’s laptop)';

describe('New secret chat', () => {
  it('picks a contact, then one of their devices, newest first, and opens the chat', async () => {
    const { api, bob, laptop, user } = setup();
    await user.click(screen.getByRole('button', { name: 'New chat' }));
    await user.click(await screen.findByRole('menuitem', { name: 'New secret chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret chat' });
    await user.click(within(dialog).getByRole('button', { name: /Bob/ }));

    const group = await within(dialog).findByRole('group', { name: "Bob's devices" });
    const radios = within(group).getAllByRole('radio');
    expect(radios.map((r) => r.closest('label')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Bob’s phone Linux · Linked today',
      expect.stringMatching(/^Bob’s laptop Linux · Linked on /),
    ]);
    expect(radios[0]).toBeChecked();
    expect(within(dialog).getByText(/lives only on this device and Bob’s phone\./)).toBeInTheDocument();

    await user.click(within(group).getByRole('radio', { name: /Bob’s laptop/ }));
    expect(
      within(dialog).getByText(
        'A secret chat lives only on this device and Bob’s laptop. It is not synced to your other devices, not backed up, and its messages can self-destruct.',
      ),
    ).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Start secret chat' }));

    expect(api.chats.startSecret).toHaveBeenCalledWith(bob.accountId, laptop.id);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const pane = await screen.findByRole('region', { name: LAPTOP_CHAT });
    expect(within(pane).getByRole('heading', { name: 'Bob' })).toBeInTheDocument();
    expect(within(pane).getByText('Bob’s laptop')).toBeInTheDocument();
    expect(screen.getByRole('option', { name: LAPTOP_CHAT })).toHaveAttribute('aria-selected', 'true');
  });

  it('shows a single device too, and Go’s refusal in the dialog', async () => {
    const { api, bob, laptop, user } = setup();
    api.backend.contactDevices.set(bob.accountId, [laptop]);
    const why = 'Bob’s laptop has not connected since it was linked: a secret chat cannot start yet.';
    api.chats.startSecret.mockRejectedValueOnce(new ApiError(why, 422));
    await user.click(screen.getByRole('button', { name: 'New chat' }));
    await user.click(await screen.findByRole('menuitem', { name: 'New secret chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret chat' });
    await user.click(within(dialog).getByRole('button', { name: /Bob/ }));
    const only = await within(dialog).findByRole('radio', { name: /Bob’s laptop/ });
    expect(only).toBeChecked();
    await user.click(within(dialog).getByRole('button', { name: 'Start secret chat' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(why);
    expect(screen.getByRole('dialog', { name: 'New secret chat' })).toBeInTheDocument();
  });

  it('says why a contact’s devices cannot be listed', async () => {
    const { api, user } = setup();
    api.chats.contactDevices.mockRejectedValueOnce(new ApiError('The relay is not reachable.', 503));
    await user.click(screen.getByRole('button', { name: 'New chat' }));
    await user.click(await screen.findByRole('menuitem', { name: 'New secret chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret chat' });
    await user.click(within(dialog).getByRole('button', { name: /Bob/ }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      "Could not list Bob's devices: The relay is not reachable.",
    );
  });

  it('starts from a contact’s info, with the contact already chosen', async () => {
    const { api, bob, phone, user } = setup();
    await user.click(await screen.findByRole('option', { name: 'Bob' }));
    await user.click(await screen.findByRole('button', { name: 'Bob — chat info' }));
    const info = await screen.findByRole('dialog', { name: 'Bob' });
    await user.click(within(info).getByRole('button', { name: 'New secret chat' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret chat' });
    await user.click(await within(dialog).findByRole('button', { name: 'Start secret chat' }));
    expect(api.chats.startSecret).toHaveBeenCalledWith(bob.accountId, phone.id);
    expect(await screen.findByRole('region', { name: 'Secret chat with Bob (Bob’s phone)' })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });
});

describe('A secret chat', () => {
  it('tells Go while it is the open chat, and no more once another opens', async () => {
    const { api, bob, laptop, user } = setup();
    addSecret(api, bob, laptop);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    await waitFor(() => expect(api.window.setSecretOpen).toHaveBeenLastCalledWith(true));
    await user.click(screen.getByRole('option', { name: 'Bob' }));
    await waitFor(() => expect(api.window.setSecretOpen).toHaveBeenLastCalledWith(false));
    expect(api.backend.secretOpen).toBe(false);
  });

  it('is off screen once the window locks (the main window goes)', async () => {
    const { api, bob, laptop, unmount, user } = setup();
    addSecret(api, bob, laptop);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    await waitFor(() => expect(api.backend.secretOpen).toBe(true));
    unmount();
    await waitFor(() => expect(api.backend.secretOpen).toBe(false));
  });

  it('sets the self-destruct timer from the times Go allows', async () => {
    const { api, bob, laptop, user } = setup();
    const chat = addSecret(api, bob, laptop);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    const button = await screen.findByRole('button', { name: 'Self-destruct timer: Off' });
    await user.click(button);
    const menu = screen.getByRole('menu', { name: 'Self-destruct timer' });
    const items = within(menu).getAllByRole('menuitemradio');
    // Go's times, worded as format.spec.ts checks.
    expect(items.map((i) => i.textContent?.replace('✓', '').trim())).toEqual(RULES.secretTimerSeconds.map(secretTimerLabel));
    expect(within(menu).getByRole('menuitemradio', { name: 'Off' })).toHaveAttribute('aria-checked', 'true');
    expect(within(menu).getByRole('menuitemradio', { name: 'Off' })).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(api.chats.setSecretTimer).toHaveBeenCalledWith(chat.id, 5);
    expect(await screen.findByRole('button', { name: 'Self-destruct timer: 5 s' })).toHaveFocus();
  });

  it('shows the chat’s safety number to verify', async () => {
    const { api, bob, laptop, user } = setup();
    const chat = addSecret(api, bob, laptop);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    await user.click(await screen.findByRole('button', { name: 'Verify' }));
    const dialog = await screen.findByRole('dialog', { name: 'Verify secret chat' });
    expect(api.chats.secretSafetyNumber).toHaveBeenCalledWith(chat.id);
    expect(await within(dialog).findByRole('img', { name: 'Safety emoji: 🦊 🔒 🌙 🍀' })).toBeInTheDocument();
    expect(within(dialog).getByText(/Compare these with what Bob sees on Bob’s laptop/)).toBeInTheDocument();
    expect(within(dialog).getAllByText('54321')).toHaveLength(12);
  });

  it('closes on both devices after asking', async () => {
    const { api, bob, laptop, user } = setup();
    const chat = addSecret(api, bob, laptop);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    await user.click(await screen.findByRole('button', { name: 'Close secret chat' }));
    const confirm = await screen.findByRole('dialog', { name: 'Close secret chat' });
    expect(within(confirm).getByText('Close and delete this secret chat on both devices?')).toBeInTheDocument();
    await user.click(within(confirm).getByRole('button', { name: 'Close and delete' }));
    expect(api.chats.delete).toHaveBeenCalledWith(chat.id);
    await waitFor(() => expect(screen.queryByRole('region', { name: LAPTOP_CHAT })).not.toBeInTheDocument());
    expect(screen.queryByRole('option', { name: LAPTOP_CHAT })).not.toBeInTheDocument();
    await waitFor(() => expect(api.window.setSecretOpen).toHaveBeenLastCalledWith(false));
  });

  it('removes a message that self-destructed, and offers replies', async () => {
    const { api, bob, laptop, user } = setup();
    const chat = addSecret(api, bob, laptop, { secretTimer: 5 });
    const gone = sampleMessage({ chatId: chat.id, senderId: bob.accountId, body: 'burn after reading', ttl: 5 });
    const kept = sampleMessage({ chatId: chat.id, senderId: bob.accountId, body: 'still here', ttl: 5 });
    api.backend.messages.set(chat.id, [gone, kept]);
    await user.click(await screen.findByRole('option', { name: LAPTOP_CHAT }));
    const pane = await screen.findByRole('region', { name: LAPTOP_CHAT });
    const article = await within(pane).findByRole('article', { name: 'Bob: burn after reading' });
    expect(within(article).getByText('self-destructs 5 s after reading')).toBeInTheDocument();

    api.emit('message:status', { chatId: chat.id, messageId: gone.id, status: 'read', seq: 1, expiresAt: Date.now() + 4_000 });
    expect(await within(article).findByRole('timer', { name: /^Disappears in [34] seconds$/ })).toBeInTheDocument();
    expect(within(article).getByRole('button', { name: 'Reply to Bob' })).toBeInTheDocument();

    api.emit('message:expired', { chatId: chat.id, messageId: gone.id });
    await waitFor(() => expect(within(pane).queryByText('burn after reading')).not.toBeInTheDocument());
    expect(within(pane).getByRole('article', { name: 'Bob: still here' })).toBeInTheDocument();
  });
});
