// A text longer than one message (16 KiB of UTF-8) is not refused: the composer
// counts it from 90% of the limit, and Go sends it as several messages, cut
// between sentences (chat.SplitText), which the other side receives in order.
// Real relay, real `hush --web` per person, as in chat.spec.ts.

import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, expectNoSeriousViolations, startDirectChat } from './messaging';

test.describe.configure({ timeout: 240_000 });

test('a long text is counted near the limit and sent as several messages', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');

  // Sentences of 68 bytes, numbered, with CJK and an emoji in each: 520 of them
  // make about 35 000 bytes, three messages.
  const sentence = (i: number) => `Sentence ${String(i).padStart(4, '0')} says 日本語 and 👩‍👩‍👧 here, then ends.`;
  const sentences = Array.from({ length: 520 }, (_, i) => sentence(i));
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  const one = bytes(sentences[0]!) + 1;
  const box = alicePane.getByRole('textbox', { name: 'Message' });

  // Just under 90%: no counter; just over: the counter, and the box names it.
  const under = Math.floor((16_384 * 0.9) / one) - 1;
  await box.fill(sentences.slice(0, under).join(' '));
  await expect(alicePane.getByText(/\/ 16\s384/)).toHaveCount(0);
  await box.fill(sentences.slice(0, under + 3).join(' '));
  const counter = alicePane.getByText(/^1[45]\s\d{3} \/ 16\s384 — longer texts are sent as several messages$/);
  await expect(counter).toBeVisible();
  await expectNoSeriousViolations(alice.page, 'the composer with its counter');

  const text = sentences.join(' ');
  expect(bytes(text)).toBeGreaterThan(2 * 15_360);
  await box.fill(text);
  await expect(alicePane.getByText(/ — will be sent as about 3 messages$/)).toBeVisible();
  await box.press('Enter');
  await expect(box).toHaveValue('');

  // Three bubbles on each side, the first beginning and the last ending the text,
  // each cut after a sentence.
  const messages = (pane: typeof alicePane) => pane.getByRole('region', { name: 'Messages' }).getByRole('article');
  await expect(messages(alicePane)).toHaveCount(3, { timeout: 30_000 });
  const bobPane = await acceptRequest(bob.page, /alice/i);
  await expect(bubble(bobPane, sentence(519))).toBeVisible({ timeout: 30_000 });
  const parts = messages(bobPane).filter({ hasText: 'Sentence' });
  await expect(parts).toHaveCount(3);
  const texts = await parts.allInnerTexts();
  expect(texts[0]).toContain(sentence(0));
  expect(texts[2]).toContain(sentence(519));
  for (const t of texts) expect(t).toMatch(/then ends\./);
});
