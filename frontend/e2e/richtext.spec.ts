// Rich text end to end: a real relay and two real `hush --web` instances.
// Alice types the lightweight markers (and uses Ctrl+B on a selection, and the
// emoji picker by keyboard alone); Bob's window draws them as <strong>, <em>,
// <code> and <pre>, while what travels is the text as typed. axe audits the
// open picker and a message with rich text: no violations at all.

import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, expectNoViolations, startDirectChat } from './messaging';

test.describe.configure({ timeout: 240_000 });

test('Alice formats as she types, Bob sees it formatted; the emoji picker works by keyboard', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  const pane = await startDirectChat(alice.page, 'bob');
  const box = pane.getByRole('textbox', { name: 'Message' });

  // Markers as typed; each send waits for the box to clear.
  await box.fill('**bold** _it_ `code` and snake_case_names');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await box.fill('```\nfn main() {\n    println!("*hi*");\n}\n```');
  await box.press('Enter');
  await expect(box).toHaveValue('');

  // Ctrl+B wraps the selected word.
  await box.fill('make this loud');
  await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(10, 14));
  await box.press('Control+b');
  await expect(box).toHaveValue('make this **loud**');
  await box.press('Enter');
  await expect(box).toHaveValue('');

  // The emoji picker, by keyboard: Shift+Tab from the box reaches its button.
  await box.fill('hello ');
  await box.press('Shift+Tab');
  const toggle = pane.getByRole('button', { name: 'Emoji' });
  await expect(toggle).toBeFocused();
  await alice.page.keyboard.press('Enter');
  const picker = alice.page.getByRole('dialog', { name: 'Emoji' });
  const search = picker.getByRole('searchbox', { name: 'Search emoji' });
  await expect(search).toBeFocused();
  await expect(picker.getByRole('tablist', { name: 'Emoji categories' })).toBeVisible({ timeout: 30_000 });
  await expectNoViolations(alice.page, 'the emoji picker');
  // Escape closes it and gives the focus back to its button.
  await alice.page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  await expect(toggle).toBeFocused();
  // Again: a category by the arrow keys, the grid by Tab, an emoji by arrows and Enter.
  await alice.page.keyboard.press('Enter');
  await expect(search).toBeFocused();
  await alice.page.keyboard.press('Tab'); // the selected tab (recently used)
  await alice.page.keyboard.press('ArrowRight');
  await expect(picker.getByRole('tab', { name: 'Smileys & emotion' })).toBeFocused();
  await alice.page.keyboard.press('Tab');
  const grid = picker.getByRole('grid', { name: 'Smileys & emotion' });
  await expect(grid.getByRole('button', { name: 'grinning face', exact: true })).toBeFocused();
  await alice.page.keyboard.press('ArrowRight');
  await expect(grid.getByRole('button', { name: 'grinning face with big eyes' })).toBeFocused();
  await alice.page.keyboard.press('Enter');
  await expect(picker).toBeHidden();
  await expect(box).toBeFocused();
  await expect(box).toHaveValue('hello 😃');
  await box.press('Enter');
  await expect(box).toHaveValue('');

  // Searching finds it by name; the recently used tab now starts with it.
  await toggle.click();
  await expect(picker.getByRole('grid', { name: 'Recently used' }).getByRole('button').first()).toHaveAccessibleName(
    'grinning face with big eyes',
    { timeout: 30_000 },
  );
  await search.fill('thumbs up');
  await search.press('ArrowDown');
  await expect(picker.getByRole('grid', { name: 'Emoji found' }).getByRole('button', { name: 'thumbs up', exact: true })).toBeFocused();
  await alice.page.keyboard.press('Escape');

  // Bob sees the formatting as elements; what was sent is the typed text.
  const bobPane = await acceptRequest(bob.page, /Alice/);
  const formatted = bubble(bobPane, 'bold it code and snake_case_names');
  await expect(formatted.locator('strong')).toHaveText('bold', { timeout: 30_000 });
  await expect(formatted.locator('em')).toHaveText('it');
  await expect(formatted.locator('code')).toHaveText('code');
  const block = bubble(bobPane, 'fn main()').locator('pre');
  await expect(block).toHaveText('fn main() {\n    println!("*hi*");\n}');
  await expect(bubble(bobPane, 'make this loud').locator('strong')).toHaveText('loud');
  await expect(bubble(bobPane, 'hello 😃')).toBeVisible();
  await expectNoViolations(bob.page, 'messages with rich text');

  // Bob reacts with an emoji the quick row does not have: "More reactions…".
  await formatted.click({ button: 'right' });
  await bob.page.getByRole('menuitem', { name: 'More reactions…' }).click();
  const bobPicker = bob.page.getByRole('dialog', { name: 'Emoji' });
  await bobPicker.getByRole('searchbox', { name: 'Search emoji' }).fill('crab');
  await bob.page.keyboard.press('ArrowDown');
  await bob.page.keyboard.press('Enter');
  await expect(bobPicker).toBeHidden();
  await expect(formatted.getByRole('button', { name: '🦀 1, you reacted' })).toBeVisible({ timeout: 30_000 });

  // The text kept is the text as typed: Alice's edit box shows the markers, and
  // her edit (with Ctrl+E on a selection) reaches Bob formatted the same way.
  await bubble(pane, 'make this loud').click({ button: 'right' });
  await alice.page.getByRole('menuitem', { name: 'Edit' }).click();
  const edit = alice.page.getByRole('dialog', { name: 'Edit message' }).getByRole('textbox', { name: 'Message text' });
  await expect(edit).toHaveValue('make this **loud**');
  await edit.fill('make this **loud** or quiet');
  await edit.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(22, 27));
  await edit.press('Control+e');
  await expect(edit).toHaveValue('make this **loud** or `quiet`');
  await edit.press('Enter');
  const edited = bubble(bobPane, 'make this loud or quiet');
  await expect(edited.locator('code')).toHaveText('quiet', { timeout: 30_000 });
  await expect(edited.locator('strong')).toHaveText('loud');
  await expect(edited.getByText('edited', { exact: true })).toBeVisible();
});
