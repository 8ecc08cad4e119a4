// Typing indicators, switched off in Settings → Privacy: off works both ways,
// so the check looks at both sides — Alice is not shown Bob typing once he
// turned them off, and Bob is not shown Alice typing either. Each "never" is
// watched the whole time (a MutationObserver on the header), not sampled.

import type { Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, expectNoSeriousViolations, send, startDirectChat } from './messaging';

/** Starts noting whether the page ever shows "… is typing…". */
async function watchTyping(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { sawTyping: boolean };
    w.sawTyping = /is typing…/i.test(document.body.innerText);
    new MutationObserver(() => {
      if (/is typing…/i.test(document.body.innerText)) w.sawTyping = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

const sawTyping = (page: Page) => page.evaluate(() => (window as unknown as { sawTyping: boolean }).sawTyping);

test('typing indicators off: neither sent nor shown', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');
  await send(alicePane, 'Hello Bob');
  const bobPane = await acceptRequest(bob.page, /alice/i);
  await expect(bubble(bobPane, 'Hello Bob')).toBeVisible({ timeout: 30_000 });

  // On (the default): Alice sees Bob typing.
  const bobBox = bobPane.getByRole('textbox', { name: 'Message' });
  await bobBox.pressSequentially('Hi', { delay: 50 });
  await expect(alicePane.getByRole('button', { name: /chat info$/ })).toContainText(/bob is typing…/i, { timeout: 15_000 });
  await bobBox.press('Enter');
  await expect(bubble(alicePane, 'Hi')).toBeVisible({ timeout: 30_000 });

  // Bob turns them off.
  await bob.page.getByRole('button', { name: 'Settings' }).click();
  const settings = bob.page.getByRole('dialog', { name: 'Settings' });
  const privacy = settings.getByRole('region', { name: 'Privacy' });
  const sw = privacy.getByRole('switch', { name: 'Typing indicators' });
  await expect(sw).toBeChecked();
  await sw.click();
  await expect(sw).not.toBeChecked();
  await expect(sw).toHaveAccessibleDescription('Others do not see when you are typing, and you do not see when they are.');
  await expectNoSeriousViolations(bob.page, 'Settings → Privacy');
  await bob.page.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  await watchTyping(alice.page);
  await watchTyping(bob.page);
  await bobBox.pressSequentially('Not telling', { delay: 50 });
  await bobBox.press('Enter');
  await expect(bubble(alicePane, 'Not telling')).toBeVisible({ timeout: 30_000 });
  const aliceBox = alicePane.getByRole('textbox', { name: 'Message' });
  await aliceBox.pressSequentially('Are you typing?', { delay: 50 });
  await aliceBox.press('Enter');
  await expect(bubble(bobPane, 'Are you typing?')).toBeVisible({ timeout: 30_000 });
  expect(await sawTyping(alice.page), 'Alice was shown Bob typing').toBe(false);
  expect(await sawTyping(bob.page), 'Bob was shown Alice typing').toBe(false);

  // Settings opened again shows the choice Go kept.
  await bob.page.getByRole('button', { name: 'Settings' }).click();
  await expect(
    bob.page.getByRole('dialog', { name: 'Settings' }).getByRole('switch', { name: 'Typing indicators' }),
  ).not.toBeChecked();
});
