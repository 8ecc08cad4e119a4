// Attachments end to end, between two real `hush --web` and a real relay:
// Alice attaches a text file and a PNG with the file picker (a file input in
// browser mode), adds a caption in the send sheet and sends them, then drops a
// third file on the chat; each shows as a pending upload with a progress bar
// before it is the message. Bob sees the image's thumbnail and the file's row,
// downloads the file (a progress bar, then "Downloaded"), saves it — the
// browser's download holds exactly the bytes Alice sent — and opens the image
// larger. A file over the size limit is refused in the sheet with Go's words,
// before any upload. axe finds nothing on the send sheet, the message with
// files and the image view, in light and dark.

import AxeBuilder from '@axe-core/playwright';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import { acceptRequest, attach, bubble, drawPng, send, startDirectChat } from './messaging';

test.describe.configure({ timeout: 300_000 });

/** Every axe violation, whatever its impact, in light and dark. */
async function audit(page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    const results = await new AxeBuilder({ page }).analyze();
    const found = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
    );
    expect(found, `axe violations on ${what} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/**
 * Records the names of every progress bar that appears from now on: on
 * loopback a transfer can end between two looks of an assertion, so the
 * page itself watches.
 */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __bars?: Set<string> };
    const seen = (w.__bars = new Set<string>());
    const look = () =>
      document.querySelectorAll('progress[aria-label]').forEach((e) => seen.add(e.getAttribute('aria-label') ?? ''));
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
    look();
  });
}

async function barsSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => [...((window as unknown as { __bars?: Set<string> }).__bars ?? [])]);
}

test('files and images: attach, drop, send with progress, download, save and view', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const dir = mkdtempSync(join(tmpdir(), 'hush-e2e-files-'));
  try {
    const notes = Buffer.from('Minutes of the meeting, line after line.\n'.repeat(60_000)); // 2.4 MB
    const png = await drawPng(alice.page);

    const alicePane = await startDirectChat(alice.page, 'bob');
    await send(alicePane, 'files are coming');
    const bobPane = await acceptRequest(bob.page, /Alice/);
    await expect(bubble(bobPane, 'files are coming')).toBeVisible({ timeout: 30_000 });

    // The picker: a text file and a PNG, into the send sheet.
    await attach(alice.page, alicePane, [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: notes },
      { name: 'photo.png', mimeType: 'image/png', buffer: png },
    ]);
    const sheet = alice.page.getByRole('dialog', { name: 'Send 2 files' });
    await expect(sheet).toBeVisible();
    const list = sheet.getByRole('list', { name: 'Files to send' });
    await expect(list.getByRole('listitem')).toHaveCount(2);
    await expect(list.getByRole('listitem').filter({ hasText: 'notes.txt' })).toContainText('2.3 MB');
    await expect(sheet.getByText('Preparing…')).toHaveCount(0, { timeout: 30_000 });
    await expect(sheet.getByRole('button', { name: 'Send' })).toBeEnabled();
    await audit(alice.page, 'the send sheet');
    await sheet.getByRole('textbox', { name: 'Caption' }).fill('the notes and a photo');
    await watchProgress(alice.page);
    await sheet.getByRole('button', { name: 'Send' }).click();
    await expect(sheet).toBeHidden();

    // The pending upload, then the message it becomes.
    const sent = alicePane.getByRole('article', { name: 'You: notes.txt and photo.png, the notes and a photo' });
    await expect(sent).toBeVisible({ timeout: 60_000 });
    await expect(alicePane.getByRole('group', { name: /^Sending / })).toHaveCount(0);
    expect(await barsSeen(alice.page)).toContain('Sending notes.txt and photo.png');
    await expect(sent.getByRole('img', { name: 'photo.png' })).toBeVisible();
    await expect(sent.getByRole('button', { name: 'Save notes.txt as…' })).toBeVisible();

    // A drop: the zone says where files go, and the sheet takes the file.
    const agenda = await alice.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['# Agenda\n\n1. the notes\n2. the photo\n'], 'agenda.md', { type: 'text/markdown' }));
      return dt;
    });
    await alicePane.dispatchEvent('dragenter', { dataTransfer: agenda });
    await expect(alicePane.getByText(/^Drop files here to send them to /)).toBeVisible();
    await alicePane.dispatchEvent('drop', { dataTransfer: agenda });
    await expect(alicePane.getByText(/^Drop files here/)).toHaveCount(0);
    const dropped = alice.page.getByRole('dialog', { name: 'Send a file' });
    await expect(dropped.getByRole('listitem').filter({ hasText: 'agenda.md' })).toBeVisible();
    await expect(dropped.getByText('Preparing…')).toHaveCount(0, { timeout: 30_000 });
    await dropped.getByRole('button', { name: 'Send' }).click();
    await expect(alicePane.getByRole('article', { name: 'You: agenda.md' })).toBeVisible({ timeout: 60_000 });

    // Too large: refused in the sheet, before any upload, in Go's words. The
    // file is sparse: the limit is checked against its size, not its bytes.
    const huge = join(dir, 'huge.bin');
    writeFileSync(huge, '');
    truncateSync(huge, 100 * 1024 * 1024 + 1);
    await attach(alice.page, alicePane, huge);
    const refused = alice.page.getByRole('dialog', { name: 'Send a file' });
    await expect(refused.getByRole('listitem').filter({ hasText: 'huge.bin' })).toContainText(
      'The file is too large: at most 100 MB can be sent.',
    );
    await expect(refused.getByRole('button', { name: 'Send' })).toBeDisabled();
    await refused.getByRole('button', { name: 'Cancel' }).click();
    await expect(refused).toBeHidden();

    // Bob: the thumbnail and the file's row, with the caption under them.
    const got = bobPane.getByRole('article', { name: 'Alice: notes.txt and photo.png, the notes and a photo' });
    await expect(got).toBeVisible({ timeout: 60_000 });
    await expect(got.getByRole('img', { name: 'photo.png' })).toBeVisible();
    await expect(got.getByText('the notes and a photo')).toBeVisible();
    const download = got.getByRole('button', { name: 'Download notes.txt' });
    await expect(download).toBeVisible();
    await audit(bob.page, 'a message with files');

    // Download: a bar while it runs, then Downloaded and Save as….
    await watchProgress(bob.page);
    await download.click();
    await expect(got.getByText(/· Downloaded$/)).toBeVisible({ timeout: 60_000 });
    expect(await barsSeen(bob.page)).toContain('Downloading notes.txt');
    const [saved] = await Promise.all([
      bob.page.waitForEvent('download'),
      got.getByRole('button', { name: 'Save notes.txt as…' }).click(),
    ]);
    expect(saved.suggestedFilename()).toBe('notes.txt');
    const savedAt = join(dir, 'saved-notes.txt');
    await saved.saveAs(savedAt);
    expect(readFileSync(savedAt).equals(notes), 'the saved file holds the bytes sent').toBe(true);

    // The image, larger: downloaded on the way, shown decrypted from memory.
    await got.getByRole('button', { name: 'Download and open photo.png' }).click();
    const view = bob.page.getByRole('dialog', { name: 'photo.png' });
    await expect(view).toBeVisible({ timeout: 60_000 });
    const full = view.getByRole('img', { name: 'photo.png' });
    await expect(full).toHaveAttribute('src', /^data:image\/png;base64,/);
    await expect(view.getByText('Opening…')).toHaveCount(0);
    await audit(bob.page, 'the image view');
    await bob.page.keyboard.press('Escape');
    await expect(view).toBeHidden();
    await expect(got.getByRole('button', { name: 'Open photo.png' })).toBeVisible();

    // The dropped file arrived too, and the chat list shows it by its name.
    await expect(bobPane.getByRole('article', { name: 'Alice: agenda.md' })).toBeVisible({ timeout: 60_000 });
    await expect(bob.page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /Alice/ })).toContainText(
      '📎 agenda.md',
    );
    await expect(alice.page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /bob/ })).toContainText(
      '📎 agenda.md',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
