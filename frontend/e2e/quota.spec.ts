// A relay with a tiny per-account quota (--quota-mb 0.004: 4194 bytes): a short
// message fits, a long one does not. The long one stays in the chat as pending
// with the "storage is full" warning (and is still there after a reload), and
// Settings shows the relay's figure as text and as a named meter, with no axe
// violations.

import AxeBuilder from '@axe-core/playwright';
import { chatTest as test, expect } from './fixtures';
import { bubble, openChat, send, startDirectChat } from './messaging';

test.use({ relayArgs: ['--quota-mb', '0.004'] });

const FULL = "The relay's storage for your account is full.";

test('a message past the quota waits as pending, and Settings shows the relay storage', async ({ people }) => {
  const ada = await people.add('Ada', 'ada');
  await people.add('Bob', 'bob');
  const { page } = ada;
  const pane = await startDirectChat(page, 'bob');

  const short = await send(pane, 'hello under the quota');
  await expect(short.getByRole('img', { name: /^(Sent|Delivered|Read)$/ })).toBeVisible({ timeout: 30_000 });

  // 4000 characters are more ciphertext than the whole quota.
  const longText = `too long for the relay ${'x'.repeat(4000)}`;
  const long = await send(pane, longText);
  await expect(pane.getByRole('alert').filter({ hasText: FULL })).toBeVisible({ timeout: 30_000 });
  await expect(pane.getByRole('alert').filter({ hasText: FULL })).toContainText('pending');
  await expect(long.getByRole('img', { name: 'Pending' })).toBeVisible();

  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  const meter = settings.getByRole('meter', { name: /^Storage on the relay: .+ of 4\.1 KB used$/ });
  await expect(meter).toBeVisible({ timeout: 30_000 });
  await expect(meter).toHaveAttribute('max', '4194');
  const used = Number(await meter.getAttribute('value'));
  expect(used, 'the short message is counted').toBeGreaterThan(0);
  expect(used).toBeLessThan(4194);
  const results = await new AxeBuilder({ page }).analyze();
  expect(
    results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    'axe violations on the settings screen',
  ).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  // Nothing is lost: after a reload the message is still there, still pending.
  await page.reload();
  const again = await openChat(page, /@bob/);
  await expect(bubble(again, longText)).toBeVisible({ timeout: 30_000 });
  await expect(bubble(again, longText).getByRole('img', { name: 'Pending' })).toBeVisible();
});
