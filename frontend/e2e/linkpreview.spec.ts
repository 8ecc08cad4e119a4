// Link previews end to end, between real `hush --web` instances and a real relay.
// Off by default: a link typed asks Go for nothing and shows no card. A preview
// that arrives inside a message (the sender's claim; sent here through
// ChatService.SendWithPreview, since no page on the internet can be fetched in
// the test — the fetch itself is linkpreview's and app's tests, against a TLS
// test server) shows as a card under the text, all text, with an axe audit.

import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, expectNoViolations, send, startDirectChat } from './messaging';

test.describe.configure({ timeout: 300_000 });

test('off by default nothing is asked; a received preview shows as a card', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');
  await send(alicePane, 'hello Bob');
  const bobPane = await acceptRequest(bob.page, /Alice/);
  await expect(bubble(bobPane, 'hello Bob')).toBeVisible({ timeout: 30_000 });

  // Off: typing a link makes no LinkPreview call and shows no card.
  const asked: string[] = [];
  alice.page.on('request', (r) => {
    if (r.url().includes('/api/call/ChatService/LinkPreview')) asked.push(r.url());
  });
  const box = alicePane.getByRole('textbox', { name: 'Message' });
  await box.fill('see https://example.com/page');
  await alice.page.waitForTimeout(1_500);
  await expect(alicePane.getByRole('group', { name: 'Link preview' })).toHaveCount(0);
  await box.press('Enter');
  await expect(bubble(alicePane, 'see https://example.com/page')).toBeVisible();
  expect(asked).toEqual([]);

  // A preview the sender's device put in the message: Bob sees the card.
  const sent = await alice.page.evaluate(async () => {
    const call = async (method: string, args: unknown[]) => {
      const res = await fetch(`/api/call/ChatService/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const chats = (await call('List', [])) as { id: string }[];
    return call('SendWithPreview', [
      chats[0]!.id,
      'read https://example.org/story',
      '',
      {
        url: 'https://example.org/story',
        title: 'A <b>story</b>',
        description: 'What happened next, in three lines at most.',
        siteName: 'Example News',
        thumbnail: '',
      },
    ]);
  });
  expect(sent).toMatchObject({ preview: { title: 'A <b>story</b>' } });
  const message = bubble(bobPane, 'read https://example.org/story');
  const card = message.getByRole('group', { name: 'Link preview' });
  await expect(card).toBeVisible({ timeout: 30_000 });
  await expect(card).toContainText('Example News');
  await expect(card.getByText('A <b>story</b>')).toBeVisible();
  await expect(card.getByRole('link')).toHaveCount(0);
  await expectNoViolations(bob.page, 'a message with a link preview');
  await bob.page.emulateMedia({ colorScheme: 'dark' });
  await expectNoViolations(bob.page, 'a message with a link preview (dark)');
});
