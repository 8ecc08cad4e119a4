import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { tick } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type LinkCheck } from '../api';
import { createFakeApi, fakeLinkCode, sampleLinkCheck } from '../testing/fakeApi';
import { createTestContext, renderWithContext } from '../testing/render';
import LinkDeviceDialog from './LinkDeviceDialog.svelte';

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const onclose = vi.fn();
  const onlinked = vi.fn();
  const result = renderWithContext(LinkDeviceDialog, { onclose, onlinked }, createTestContext({ api }));
  const dialog = screen.getByRole('dialog', { name: 'Link a device' });
  const field = within(dialog).getByRole('textbox', { name: 'Link code' });
  return { ...result, api, onclose, onlinked, dialog, field, user: userEvent.setup() };
}

/** Pastes a code and presses Continue. */
async function enter(s: ReturnType<typeof setup>, code: string): Promise<void> {
  await s.user.click(s.field);
  await s.user.paste(code);
  await s.user.click(within(s.dialog).getByRole('button', { name: 'Continue' }));
}

describe('LinkDeviceDialog', () => {
  it('starts in the Link code field', () => {
    const { field } = setup();
    expect(field).toHaveFocus();
  });

  it('asks for a code before asking Go', async () => {
    const s = setup();
    await s.user.click(within(s.dialog).getByRole('button', { name: 'Continue' }));
    expect(s.field).toHaveAccessibleDescription('Paste the code your new device shows.');
    expect(s.api.devices.link).not.toHaveBeenCalled();
  });

  it('shows Go’s words for a code that is not a Hush code, and lets the user try again', async () => {
    const s = setup();
    await enter(s, 'hello there');
    expect(await within(s.dialog).findByRole('alert')).toHaveTextContent(
      'This link code cannot be used: this is not a Hush link code.',
    );
    const field = within(s.dialog).getByRole('textbox', { name: 'Link code' });
    expect(field).toHaveValue('hello there');
    await waitFor(() => expect(field).toHaveFocus());
    expect(s.api.devices.confirmLink).not.toHaveBeenCalled();
  });

  it('waits for the new device, then shows the emoji by name and the digits', async () => {
    const s = setup();
    let answer!: (c: LinkCheck) => void;
    s.api.devices.link.mockImplementationOnce(() => new Promise<LinkCheck>((r) => (answer = r)));
    const code = fakeLinkCode();
    await enter(s, code);
    expect(s.api.devices.link).toHaveBeenCalledWith(code);
    expect(await within(s.dialog).findByRole('status')).toHaveTextContent('Waiting for the new device…');
    expect(within(s.dialog).getByRole('progressbar', { name: 'Waiting for the new device' })).toBeInTheDocument();

    answer(sampleLinkCheck);
    const group = await within(s.dialog).findByRole('group', { name: 'Code to compare' });
    for (const e of sampleLinkCheck.emoji) expect(within(group).getByText(e.name)).toBeInTheDocument();
    expect(within(group).getByText('123 456')).toBeInTheDocument();
    expect(within(s.dialog).getByText('Does the new device show the same?')).toBeInTheDocument();
  });

  it('They match: confirms with Go and says it is linked', async () => {
    const s = setup();
    await enter(s, fakeLinkCode());
    await s.user.click(await within(s.dialog).findByRole('button', { name: 'They match' }));
    expect(s.api.devices.confirmLink).toHaveBeenCalledWith(sampleLinkCheck.sessionId, true);
    expect(await within(s.dialog).findByRole('status')).toHaveTextContent(/^Linked\./);
    expect(s.onlinked).toHaveBeenCalledTimes(1);
    expect(s.api.backend.devices).toHaveLength(2);

    await s.user.click(within(s.dialog).getByRole('button', { name: 'Done' }));
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).not.toHaveBeenCalled();
  });

  it('They don’t match: tells Go and says nothing was linked', async () => {
    const s = setup();
    await enter(s, fakeLinkCode());
    await s.user.click(await within(s.dialog).findByRole('button', { name: 'They don’t match' }));
    expect(s.api.devices.confirmLink).toHaveBeenCalledWith(sampleLinkCheck.sessionId, false);
    expect(await within(s.dialog).findByRole('status')).toHaveTextContent('Nothing was linked.');
    expect(s.onlinked).not.toHaveBeenCalled();
    expect(s.api.backend.devices).toHaveLength(1);
  });

  it('shows Go’s words when the answer fails, and the choice stays', async () => {
    const s = setup();
    s.api.devices.confirmLink.mockRejectedValueOnce(new ApiError('The new device went away.', 422));
    await enter(s, fakeLinkCode());
    await s.user.click(await within(s.dialog).findByRole('button', { name: 'They match' }));
    expect(await within(s.dialog).findByRole('alert')).toHaveTextContent('The new device went away.');
    expect(within(s.dialog).getByRole('button', { name: 'They match' })).toBeEnabled();
    expect(s.onlinked).not.toHaveBeenCalled();
  });

  it('Cancel at the comparison cancels the session with Go', async () => {
    const s = setup();
    await enter(s, fakeLinkCode());
    await within(s.dialog).findByRole('button', { name: 'They match' });
    await s.user.keyboard('{Escape}');
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).toHaveBeenCalledWith(sampleLinkCheck.sessionId);
    expect(s.api.devices.confirmLink).not.toHaveBeenCalled();
  });

  it('Cancel while waiting ends the wait with CancelLink(""), and Link’s refusal shows nothing', async () => {
    const s = setup();
    s.api.backend.linkWaits = true;
    await enter(s, fakeLinkCode());
    await within(s.dialog).findByRole('progressbar', { name: 'Waiting for the new device' });
    await s.user.click(within(s.dialog).getByRole('button', { name: 'Cancel' }));
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).toHaveBeenCalledExactlyOnceWith('');

    // Go's Link fails once the wait ended: nothing alarming follows.
    await expect(s.api.devices.link.mock.results[0]!.value).rejects.toThrow('Linking was cancelled.');
    await tick();
    expect(within(s.dialog).queryByRole('alert')).not.toBeInTheDocument();
    expect(within(s.dialog).queryByText('Linking was cancelled.')).not.toBeInTheDocument();
    expect(s.api.devices.cancelLink).toHaveBeenCalledTimes(1);
  });

  it('Escape while waiting ends the wait too', async () => {
    const s = setup();
    s.api.backend.linkWaits = true;
    await enter(s, fakeLinkCode());
    await within(s.dialog).findByRole('progressbar', { name: 'Waiting for the new device' });
    await s.user.keyboard('{Escape}');
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).toHaveBeenCalledExactlyOnceWith('');
  });

  it('cancels the session Link returns all the same after the user walked away', async () => {
    const s = setup();
    let answer!: (c: LinkCheck) => void;
    s.api.devices.link.mockImplementationOnce(() => new Promise<LinkCheck>((r) => (answer = r)));
    await enter(s, fakeLinkCode());
    await s.user.click(await within(s.dialog).findByRole('button', { name: 'Cancel' }));
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).toHaveBeenCalledWith('');

    answer(sampleLinkCheck);
    await waitFor(() => expect(s.api.devices.cancelLink).toHaveBeenCalledWith(sampleLinkCheck.sessionId));
    expect(within(s.dialog).queryByRole('button', { name: 'They match' })).not.toBeInTheDocument();
  });

  it('Cancel before anything was sent tells Go nothing', async () => {
    const s = setup();
    await s.user.click(within(s.dialog).getByRole('button', { name: 'Cancel' }));
    expect(s.onclose).toHaveBeenCalledTimes(1);
    expect(s.api.devices.cancelLink).not.toHaveBeenCalled();
  });
});
