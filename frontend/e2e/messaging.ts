// What the messaging specs share: finding a conversation, its messages and
// service lines, sending, chat requests, and the axe audit. Everything is
// found by role and accessible name, as a screen reader would. Files: a PNG
// the browser draws, and the paperclip answered with files.

import AxeBuilder from '@axe-core/playwright';
import type { FileChooser, Locator, Page } from '@playwright/test';
import { expect } from './fixtures';

export async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  await expectNoViolations(page, screen, (impact) => impact === 'serious' || impact === 'critical');
}

/** axe finds nothing on the page (of the impacts `counts` keeps; all by default). */
export async function expectNoViolations(
  page: Page,
  screen: string,
  counts: (impact: string | null | undefined) => boolean = () => true,
): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => counts(v.impact));
  const summary = serious.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  expect(summary, `axe violations on ${screen}`).toEqual([]);
}

/** The open conversation (the right pane's region). */
export function openPane(page: Page): Locator {
  return page.getByRole('main').getByRole('region').first();
}

export async function startDirectChat(page: Page, handle: string): Promise<Locator> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('menuitem', { name: 'New message' }).click();
  const dialog = page.getByRole('dialog', { name: 'New message' });
  await dialog.getByLabel('Username').fill(`@${handle}`);
  await dialog.getByRole('button', { name: 'Start chat' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  return openPane(page);
}

/** Creates a group with the people of `handles`, added by username; returns its pane. */
export async function createGroup(page: Page, title: string, handles: readonly string[]): Promise<Locator> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('menuitem', { name: 'New group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(title);
  for (const handle of handles) {
    await dialog.getByLabel('Add by username').fill(`@${handle}`);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(dialog.getByRole('checkbox', { name: new RegExp(handle, 'i') })).toBeChecked({ timeout: 30_000 });
  }
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  return page.getByRole('region', { name: title });
}

export async function send(pane: Locator, text: string): Promise<Locator> {
  const box = pane.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await expect(box).toHaveValue('');
  return bubble(pane, text);
}

/** The message (an article) that shows `text`, on any of its lines. */
export function bubble(pane: Locator, text: string): Locator {
  return pane.getByRole('region', { name: 'Messages' }).getByRole('article').filter({ hasText: text });
}

/**
 * The message whose text is exactly `text` ("note 1", not "note 12"): its
 * accessible name is "sender: text".
 */
export function exactBubble(pane: Locator, text: string): Locator {
  const literal = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const name = new RegExp(`: ${literal}$`);
  return pane.getByRole('region', { name: 'Messages' }).getByRole('article', { name });
}

/** A line the chat shows about itself, named by Go's sentence alone. */
export function serviceLine(pane: Locator, sentence: RegExp): Locator {
  return pane.getByRole('region', { name: 'Messages' }).getByRole('article', { name: sentence });
}

/** Opens a chat of the chat list. */
export async function openChat(page: Page, name: RegExp | string): Promise<Locator> {
  const option = page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name });
  await expect(option).toBeVisible({ timeout: 30_000 });
  await option.click();
  return openPane(page);
}

/** Opens Requests and the request named `name`; returns its (read-only) pane. */
export async function openRequest(page: Page, name: RegExp | string): Promise<Locator> {
  await page.getByRole('button', { name: /^Requests \(\d+\)$/ }).click({ timeout: 30_000 });
  const option = page.getByRole('listbox', { name: 'Requests' }).getByRole('option', { name });
  await expect(option).toBeVisible({ timeout: 30_000 });
  await option.click();
  return openPane(page);
}

/** Accepts the request named `name`; returns its pane, now an ordinary chat. */
export async function acceptRequest(page: Page, name: RegExp | string): Promise<Locator> {
  const pane = await openRequest(page, name);
  await pane.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name })).toBeVisible({
    timeout: 30_000,
  });
  await expect(pane.getByRole('textbox', { name: 'Message' }).or(pane.getByText(/can(not)? post/i))).toBeVisible();
  return pane;
}

/**
 * Puts the window in the background as far as the app can tell: headless
 * Chromium says every page has the focus, so `document.hasFocus()` is made to
 * answer false and a blur event tells the app (focus.ts reports it to Go,
 * MainWindow stops marking the open chat read). Undone by toForeground.
 */
export async function toBackground(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, 'hasFocus', { value: () => false, configurable: true });
    window.dispatchEvent(new Event('blur'));
  });
}

/** Brings a window put back by toBackground to the front: the open chat counts as seen. */
export async function toForeground(page: Page): Promise<void> {
  await page.evaluate(() => {
    // The own property goes; Document.prototype.hasFocus answers again.
    delete (document as { hasFocus?: unknown }).hasFocus;
    window.dispatchEvent(new Event('focus'));
  });
}

/**
 * Links a device with no account (`page`, on the welcome screen) to the
 * account open in `owner`, as Settings → Devices does it: the new device
 * shows a code, the owner enters it, both compare, the owner confirms. Ends
 * with the new device in its main window.
 */
export async function linkDevice(owner: Page, page: Page, relayUrl: string, passphrase: string): Promise<void> {
  await page.getByRole('button', { name: 'Link to an existing account' }).click();
  await page.getByLabel('Relay address').fill(relayUrl);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm passphrase').fill(passphrase);
  await expect(page.getByText(/Strength: (good|strong)/)).toBeVisible();
  await page.getByRole('button', { name: 'Show link code' }).click();
  const code = page.getByRole('textbox', { name: 'Link code' });
  await expect(code).toHaveValue(/^HUSH:/, { timeout: 30_000 });

  await owner.getByRole('button', { name: 'Settings' }).click();
  const settings = owner.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('region', { name: 'Devices' }).getByRole('button', { name: 'Link a device' }).click();
  const link = owner.getByRole('dialog', { name: 'Link a device' });
  await link.getByRole('textbox', { name: 'Link code' }).fill(await code.inputValue());
  await link.getByRole('button', { name: 'Continue' }).click();
  await expect(link.getByRole('group', { name: 'Code to compare' })).toBeVisible({ timeout: 60_000 });
  await link.getByRole('button', { name: 'They match' }).click();
  await expect(link.getByRole('status')).toHaveText(/^Linked\./, { timeout: 30_000 });
  await link.getByRole('button', { name: 'Done' }).click();
  await owner.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeVisible({ timeout: 60_000 });
}

/** A 640×480 PNG drawn by the browser. */
export async function drawPng(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext('2d')!;
    const grad = g.createLinearGradient(0, 0, 640, 480);
    grad.addColorStop(0, '#2a6fdb');
    grad.addColorStop(1, '#f2c94c');
    g.fillStyle = grad;
    g.fillRect(0, 0, 640, 480);
    g.fillStyle = '#ffffff';
    g.fillRect(200, 150, 240, 180);
    const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

/** Clicks the paperclip and answers the file picker with files. */
export async function attach(page: Page, pane: Locator, files: Parameters<FileChooser['setFiles']>[0]) {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    pane.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles(files);
}
