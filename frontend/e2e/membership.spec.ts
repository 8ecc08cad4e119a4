// What the end-to-end signed membership log shows: a chat a stranger starts
// waits under Requests until accepted (or blocked, and unblocked again from
// Settings), and a change of members is a line in
// every member's chat, the removed one's included, whose chat is then held
// (banner, "Delete chat"); removing someone asks first. Real relay, real `hush --web` per person, as in
// chat.spec.ts; every sentence checked here is Go's (app/wording.go).

import { chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  createGroup,
  expectNoSeriousViolations,
  openChat,
  openPane,
  openRequest,
  send,
  serviceLine,
} from './messaging';

// Each person costs an Argon2id account creation and a relay handshake.
test.describe.configure({ timeout: 240_000 });

test("a stranger's group arrives under Requests", async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  // Alice knows Bob (she adds him by handle); Bob has never heard of her.
  const alicePane = await createGroup(alice.page, 'Book club', ['bob']);
  const first = await send(alicePane, 'First book: Dune');

  // Bob's chat list gets no new chat, only the Requests entry with its count.
  const requests = bob.page.getByRole('button', { name: 'Requests (1)' });
  await expect(requests).toBeVisible({ timeout: 30_000 });
  await expect(bob.page.getByRole('listbox', { name: 'Chats' })).toHaveCount(0);
  await expect(bob.page.getByText('No chats yet')).toBeVisible();

  // Opening it: the request, read-only, with Go's banner and three choices.
  const pane = await openRequest(bob.page, 'Book club');
  await expect(
    pane.getByRole('status').filter({
      hasText: 'Alice, who is not in your contacts, added you to this group. Accept to join, or decline.',
    }),
  ).toBeVisible();
  await expect(bubble(pane, 'First book: Dune')).toBeVisible({ timeout: 30_000 });
  await expect(pane.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await expect(pane.getByRole('button', { name: /^Reply to/ })).toHaveCount(0);
  for (const name of ['Accept', 'Decline', 'Block']) {
    await expect(pane.getByRole('group', { name: 'Chat request' }).getByRole('button', { name })).toBeVisible();
  }
  // Bob's device has it, but a request tells Alice nothing — not that it
  // arrived, not that it was looked at: marks go out within 200 ms
  // (chat/marks.go), and none does before Bob accepts.
  await expect(first.getByRole('img', { name: 'Sent' })).toBeVisible({ timeout: 30_000 });
  await bob.page.waitForTimeout(2_000);
  await expect(first.getByRole('img', { name: /^(Delivered|Read)$/ })).toHaveCount(0);
  for (const colorScheme of ['light', 'dark'] as const) {
    await bob.page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoSeriousViolations(bob.page, `the Requests view (${colorScheme})`);
  }

  // Accept: the group joins the chat list, opens there, and Bob reads and sends.
  await pane.getByRole('button', { name: 'Accept' }).click();
  const chats = bob.page.getByRole('listbox', { name: 'Chats' });
  await expect(chats.getByRole('option', { name: 'Book club' })).toHaveAttribute('aria-selected', 'true', {
    timeout: 30_000,
  });
  await expect(bob.page.getByRole('button', { name: /^Requests/ })).toHaveCount(0);
  const bobPane = openPane(bob.page);
  await expect(bubble(bobPane, 'First book: Dune')).toBeVisible();
  // Now that he accepted, reading it is no secret.
  await expect(first.getByRole('img', { name: 'Read' })).toBeVisible({ timeout: 30_000 });
  await send(bobPane, 'Count me in');
  await expect(bubble(alicePane, 'Count me in')).toBeVisible({ timeout: 30_000 });

  // Alice, its owner, renames it from the chat info; Bob's list follows.
  await alicePane.getByRole('button', { name: 'Book club — chat info' }).click();
  const info = alice.page.getByRole('dialog', { name: 'Book club' });
  const name = info.getByRole('textbox', { name: 'Group name' });
  await expect(name).toHaveValue('Book club');
  await name.fill('Readers');
  await info.getByRole('button', { name: 'Save' }).click();
  await expect(alice.page.getByRole('dialog', { name: 'Readers' })).toBeVisible({ timeout: 30_000 });
  await alice.page.keyboard.press('Escape');
  await expect(chats.getByRole('option', { name: 'Readers' })).toBeVisible({ timeout: 30_000 });
});

test("a removal shows in every member's chat", async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const carol = await people.add('Carol', 'carol');

  const alicePane = await createGroup(alice.page, 'Trio', ['bob', 'carol']);
  await send(alicePane, 'Hello both');
  const bobPane = await acceptRequest(bob.page, 'Trio');
  let carolPane = await acceptRequest(carol.page, 'Trio');
  // Names travel with messages: after these, everyone names everyone.
  await expect(bubble(carolPane, 'Hello both')).toBeVisible({ timeout: 30_000 });
  await send(carolPane, 'Hi from Carol');
  await expect(bubble(alicePane, 'Hi from Carol')).toBeVisible({ timeout: 30_000 });
  await expect(bubble(bobPane, 'Hi from Carol')).toBeVisible({ timeout: 30_000 });

  // Alice removes Carol from the chat info — asked first, Cancel first.
  await alicePane.getByRole('button', { name: 'Trio — chat info' }).click();
  const info = alice.page.getByRole('dialog', { name: 'Trio' });
  await info.getByRole('button', { name: /^Remove @?Carol$/i }).click({ timeout: 30_000 });
  const ask = info.getByRole('group', { name: /^Remove @?Carol\?$/i });
  await expect(ask).toContainText('Remove Carol from “Trio”?');
  await expect(ask.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectNoSeriousViolations(alice.page, 'the removal question');
  await ask.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(info.getByRole('button', { name: /^Remove @?Carol$/i })).toHaveCount(0, { timeout: 30_000 });
  await alice.page.keyboard.press('Escape');
  await expect(info).toBeHidden();

  // Carol's chat is held: Go's banner, and "Delete chat" where the composer was.
  await expect(
    carolPane.getByRole('status').filter({
      hasText: 'Alice removed you from this chat. Its history stays on this device until you delete it.',
    }),
  ).toBeVisible({ timeout: 30_000 });
  await expect(carolPane.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  let del = carolPane.getByRole('button', { name: 'Delete chat' });
  await expect(del).toBeVisible();
  // Its row in the list carries the marker, named by the same sentence.
  await expect(
    carol.page.getByRole('option', { name: 'Trio' }).getByRole('img', { name: /removed you from this chat/ }),
  ).toBeVisible();
  await expect(bubble(carolPane, 'Hello both')).toBeVisible(); // the history stays
  for (const colorScheme of ['light', 'dark'] as const) {
    await carol.page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoSeriousViolations(carol.page, `a held chat (${colorScheme})`);
  }

  // Bob and Alice write on; Carol does not receive it.
  await send(bobPane, 'Just us now');
  await expect(bubble(alicePane, 'Just us now')).toBeVisible({ timeout: 30_000 });
  await expect(bubble(carolPane, 'Just us now')).toHaveCount(0);

  // The line, as Go words it for each of them: read back from each vault
  // (a line that arrives live comes without its service flag, and one's own
  // line names oneself, not "You": see the last test).
  const lines = [
    [alice.page, /^(You|Alice) removed Carol$/],
    [bob.page, /^Alice removed Carol$/],
    [carol.page, /^Alice removed you$/],
  ] as const;
  for (const [page, sentence] of lines) {
    await page.reload();
    const pane = await openChat(page, 'Trio');
    const line = serviceLine(pane, sentence);
    await expect(line).toBeVisible({ timeout: 30_000 });
    // A line, not a message: no tick, no reply.
    await expect(line.getByRole('img')).toHaveCount(0);
    await expect(line.getByRole('button')).toHaveCount(0);
  }
  carolPane = openPane(carol.page);
  del = carolPane.getByRole('button', { name: 'Delete chat' });

  // Delete chat asks first, then the chat is gone from Carol's device.
  await del.click();
  const confirm = carol.page.getByRole('dialog', { name: 'Delete chat' });
  await expectNoSeriousViolations(carol.page, 'the Delete chat confirmation');
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(carol.page.getByRole('option', { name: 'Trio' })).toHaveCount(0, { timeout: 30_000 });
  await expect(carol.page.getByText('Select a chat to start messaging')).toBeVisible();
});

// A line is announced live (not only on reload) and worded for its author.
test('a service line arrives live as a line, worded for its author', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const pane = await createGroup(alice.page, 'Solo', []);
  await pane.getByRole('button', { name: 'Solo — chat info' }).click();
  const info = alice.page.getByRole('dialog', { name: 'Solo' });
  await info.getByRole('textbox', { name: 'Group name' }).fill('Notes');
  await info.getByRole('button', { name: 'Save' }).click();
  await expect(alice.page.getByRole('dialog', { name: 'Notes' })).toBeVisible({ timeout: 30_000 });
  await alice.page.keyboard.press('Escape');
  await expect(serviceLine(openPane(alice.page), /^You renamed the chat to “Notes”$/)).toBeVisible({
    timeout: 15_000,
  });
});

// Blocking is one click, and the user can see and undo it in Settings.
test('a blocked stranger is listed in Settings and can be unblocked', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  await createGroup(alice.page, 'Prizes', ['bob']);
  const pane = await openRequest(bob.page, 'Prizes');
  await pane.getByRole('button', { name: 'Block' }).click();
  await expect(bob.page.getByRole('button', { name: /^Requests/ })).toHaveCount(0, { timeout: 30_000 });

  await bob.page.getByRole('button', { name: 'Settings' }).click();
  const settings = bob.page.getByRole('dialog', { name: 'Settings' });
  const blocked = settings.getByRole('list', { name: 'Blocked accounts' });
  await expect(blocked.getByRole('listitem')).toHaveCount(1);
  await expect(blocked.getByText('Blocked today')).toBeVisible();
  const unblock = blocked.getByRole('button', { name: /^Unblock / });
  await expectNoSeriousViolations(bob.page, 'the blocked accounts in Settings');
  await unblock.click();
  await expect(settings.getByText('You have blocked no one.')).toBeVisible();
  await expect(settings.getByRole('status').filter({ hasText: /is unblocked\.$/ })).toBeVisible();
  await bob.page.keyboard.press('Escape');

  // Unblocked, Alice's next group is a request again.
  await createGroup(alice.page, 'Prizes, again', ['bob']);
  await expect(bob.page.getByRole('button', { name: 'Requests (1)' })).toBeVisible({ timeout: 30_000 });
});
