import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LinkPreview, Message } from '../api';
import { sampleMessage } from '../testing/fakeApi';
import { memoryStorage } from '../testing/storage';
import { COUNTER_FROM_BYTES } from '../format';
import Composer, { TYPING_INTERVAL_MS } from './Composer.svelte';

function setup(props: Partial<{ canPost: boolean; readOnlyReason: string; initial: string; reply: Message | null }> = {}) {
  const onsend = vi.fn(async (_body: string, _preview: LinkPreview | null) => {});
  const ontyping = vi.fn();
  const onchange = vi.fn();
  const oncancelreply = vi.fn();
  const result = render(Composer, { props: { canPost: true, onsend, ontyping, onchange, oncancelreply, ...props } });
  return { onsend, ontyping, onchange, oncancelreply, ...result };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Composer', () => {
  it('sends on Enter and clears the box', async () => {
    const { onsend } = setup();
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveFocus();
    await user.type(box, 'hello there{Enter}');
    expect(onsend).toHaveBeenCalledWith('hello there', null);
    expect(box).toHaveValue('');
  });

  it('sends the next message while the last one is still on its way', async () => {
    const { onsend } = setup();
    onsend.mockImplementation(() => new Promise(() => {})); // Go never answers
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    await user.type(box, 'first{Enter}second{Enter}');
    expect(onsend.mock.calls.map((c) => c[0])).toEqual(['first', 'second']);
    expect(box).toHaveValue('');
  });

  it('starts a new line on Shift+Enter instead of sending', async () => {
    const { onsend } = setup();
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    await user.type(box, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(onsend).not.toHaveBeenCalled();
    expect(box).toHaveValue('line one\nline two');
    await user.keyboard('{Enter}');
    expect(onsend).toHaveBeenCalledWith('line one\nline two', null);
  });

  it('wraps the selection in bold, italic or code markers (Ctrl+B, Ctrl+I, Ctrl+E), and sends them as typed', async () => {
    const { onsend, onchange } = setup({ initial: 'make it bold' });
    const user = userEvent.setup();
    const box = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
    box.setSelectionRange(8, 12);
    await user.keyboard('{Control>}b{/Control}');
    expect(box).toHaveValue('make it **bold**');
    expect([box.selectionStart, box.selectionEnd]).toEqual([10, 14]);
    expect(onchange).toHaveBeenLastCalledWith('make it **bold**');
    box.setSelectionRange(0, 4);
    await user.keyboard('{Control>}i{/Control}');
    box.setSelectionRange(box.value.length, box.value.length);
    await user.keyboard('{Control>}e{/Control}x');
    expect(box).toHaveValue('_make_ it **bold**`x`');
    await user.keyboard('{Enter}');
    expect(onsend).toHaveBeenCalledWith('_make_ it **bold**`x`', null);
  });

  it('inserts an emoji from the picker at the caret, and remembers it', async () => {
    const emojiStorage = memoryStorage();
    render(Composer, { props: { canPost: true, onsend: vi.fn(), ontyping: vi.fn(), initial: 'see you', emojiStorage } });
    const user = userEvent.setup();
    const box = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
    box.setSelectionRange(3, 3);
    const toggle = screen.getByRole('button', { name: 'Emoji' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const picker = await screen.findByRole('dialog', { name: 'Emoji' });
    await user.keyboard('waving hand');
    await user.click(await within(picker).findByRole('button', { name: 'waving hand' }, { timeout: 5000 }));
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).not.toBeInTheDocument();
    expect(box).toHaveValue('see👋 you');
    expect(box).toHaveFocus();
    expect(box.selectionStart).toBe(5);
    expect(JSON.parse(emojiStorage.data.get('hush.recentEmoji')!)).toEqual(['👋']);
    // Escape closes it and gives focus back to the button.
    await user.click(toggle);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).not.toBeInTheDocument();
    expect(toggle).toHaveFocus();
  });

  it('leaves Enter to the IME while composing', async () => {
    const { onsend } = setup({ initial: 'にほん' });
    const box = screen.getByRole('textbox', { name: 'Message' });
    await fireEvent.keyDown(box, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(box, { key: 'Enter', keyCode: 229 });
    expect(onsend).not.toHaveBeenCalled();
  });

  it('does not send blank text; the Send button follows', async () => {
    const { onsend } = setup();
    const user = userEvent.setup();
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect(onsend).not.toHaveBeenCalled();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'x');
    expect(send).toBeEnabled();
    await user.click(send);
    expect(onsend).toHaveBeenCalledWith('x', null);
  });

  it('gives the text back and says why when Go refuses it', async () => {
    const { onsend } = setup();
    onsend.mockRejectedValueOnce(new Error('message too long'));
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    await user.type(box, 'keep me{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Not sent: message too long');
    expect(box).toHaveValue('keep me');
  });

  it('reports typing at most every 3 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ontyping } = setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    const start = Date.now();
    const type = async (v: string) => {
      (box as HTMLTextAreaElement).value = v;
      await fireEvent.input(box);
    };
    await type('h');
    await type('he');
    await type('hel');
    expect(ontyping).toHaveBeenCalledTimes(1);
    vi.setSystemTime(start + TYPING_INTERVAL_MS - 1);
    await type('hell');
    expect(ontyping).toHaveBeenCalledTimes(1);
    vi.setSystemTime(start + TYPING_INTERVAL_MS);
    await type('hello');
    expect(ontyping).toHaveBeenCalledTimes(2);
  });

  it('grows with its content up to eight lines, then scrolls', async () => {
    setup();
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    // jsdom computes no layout from the stylesheet: state the box's metrics.
    Object.assign(box.style, { lineHeight: '20px', paddingTop: '11px', paddingBottom: '11px' });
    let content = 20;
    vi.spyOn(box, 'scrollHeight', 'get').mockImplementation(() => content);
    const input = async (lines: number) => {
      content = lines * 20 + 22;
      box.value = 'x\n'.repeat(lines);
      await fireEvent.input(box);
    };
    await input(3);
    expect(box.style.height).toBe('82px');
    expect(box.style.overflowY).toBe('hidden');
    await input(20);
    // 8 lines of 20 px plus 22 px of padding.
    expect(box.style.height).toBe('182px');
    expect(box.style.overflowY).toBe('auto');
  });

  it('explains why there is no box where posting is not allowed', () => {
    setup({ canPost: false, readOnlyReason: 'Only admins can post in this channel' });
    expect(screen.queryByRole('textbox', { name: 'Message' })).not.toBeInTheDocument();
    expect(screen.getByText('Only admins can post in this channel')).toBeInTheDocument();
  });

  it('starts from a draft and reports changes', async () => {
    const { onchange } = setup({ initial: 'half a thought' });
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveValue('half a thought');
    await userEvent.setup().type(box, '!');
    await waitFor(() => expect(onchange).toHaveBeenLastCalledWith('half a thought!'));
  });

  it('shows the message being answered above the box, and cancels it by button or Escape', async () => {
    const reply = sampleMessage({ senderName: 'Carol', body: '\nlunch at noon?\nor later' });
    const { oncancelreply } = setup({ reply });
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveAccessibleDescription('Reply to Carol lunch at noon?');
    await user.click(screen.getByRole('button', { name: 'Cancel reply' }));
    expect(oncancelreply).toHaveBeenCalledTimes(1);
    expect(box).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(oncancelreply).toHaveBeenCalledTimes(2);
  });

  it('leaves Escape alone when there is no reply, and names a reply to oneself', async () => {
    const { oncancelreply, rerender } = setup();
    const user = userEvent.setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    await user.keyboard('{Escape}');
    expect(oncancelreply).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Cancel reply' })).not.toBeInTheDocument();

    // Choosing a reply brings focus to the box.
    box.blur();
    await rerender({ reply: sampleMessage({ outgoing: true, senderName: 'Ada', body: 'my own words' }) });
    expect(box).toHaveFocus();
    expect(box).toHaveAccessibleDescription('Reply to yourself my own words');
  });

  it('counts the text near one message’s limit, and says a longer one is split, not refused', async () => {
    const { onsend } = setup({ initial: 'a'.repeat(COUNTER_FROM_BYTES - 1) });
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(screen.queryByText(/\/ 16\s384/)).not.toBeInTheDocument();
    // 15 900 bytes: "é" is two.
    await fireEvent.input(box, { target: { value: 'é'.repeat(7950) } });
    // The default matcher folds the no-break spaces into plain ones.
    await screen.findByText('15 900 / 16 384 — longer texts are sent as several messages');
    expect(box).toHaveAccessibleDescription(/^15\s900 \/ 16\s384 — longer texts are sent as several messages$/);
    await fireEvent.input(box, { target: { value: '语'.repeat(11_000) } }); // 33 000 bytes
    expect(await screen.findByText('33 000 / 16 384 — will be sent as about 3 messages')).toBeInTheDocument();
    await userEvent.setup().keyboard('{Enter}');
    expect(onsend).toHaveBeenCalledWith('语'.repeat(11_000), null); // not refused here: Go splits it
    await waitFor(() => expect(screen.queryByText(/16\s384/)).not.toBeInTheDocument());
  });

  it('attaches files with the paperclip, and takes files pasted into the box', async () => {
    const onattach = vi.fn();
    const onpastefiles = vi.fn();
    render(Composer, { props: { canPost: true, onsend: async () => {}, ontyping: () => {}, onattach, onpastefiles } });
    const clip = screen.getByRole('button', { name: 'Attach files' });
    expect(clip).toHaveAttribute('aria-keyshortcuts', 'Control+O Meta+O');
    expect(clip).not.toHaveAttribute('aria-disabled');
    await userEvent.setup().click(clip);
    expect(onattach).toHaveBeenCalledTimes(1);

    const box = screen.getByRole('textbox', { name: 'Message' });
    const image = new File(['png'], 'image.png', { type: 'image/png' });
    const withFile = fireEvent.paste(box, {
      clipboardData: { types: ['Files'], items: [{ kind: 'file', getAsFile: () => image }], files: [image] },
    });
    expect(await withFile).toBe(false); // the file is not pasted as text
    expect(onpastefiles).toHaveBeenCalledWith([image]);
    const text = fireEvent.paste(box, { clipboardData: { types: ['text/plain'], items: [], files: [] } });
    expect(await text).toBe(true);
    expect(onpastefiles).toHaveBeenCalledTimes(1);
  });

  it('says why files cannot go where they cannot, from the paperclip and a paste', async () => {
    const onattach = vi.fn();
    const onpastefiles = vi.fn();
    const reason = 'You cannot send files in this chat.';
    render(Composer, {
      props: { canPost: true, onsend: async () => {}, ontyping: () => {}, onattach, onpastefiles, attachBlocked: reason },
    });
    const clip = screen.getByRole('button', { name: 'Attach files' });
    expect(clip).toHaveAttribute('aria-disabled', 'true');
    expect(clip).toHaveAccessibleDescription(reason);
    await userEvent.setup().click(clip);
    expect(onattach).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent(reason);
    const image = new File(['png'], 'image.png', { type: 'image/png' });
    await fireEvent.paste(screen.getByRole('textbox', { name: 'Message' }), {
      clipboardData: { types: ['Files'], items: [{ kind: 'file', getAsFile: () => image }], files: [image] },
    });
    expect(onpastefiles).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent(reason);
  });

  it('in the desktop window, reads a pasted picture the paste event does not show from the clipboard', async () => {
    const onpastefiles = vi.fn();
    render(Composer, {
      props: { canPost: true, onsend: async () => {}, ontyping: () => {}, onattach: () => {}, onpastefiles, pasteFromClipboard: true },
    });
    const png = new Blob(['png'], { type: 'image/png' });
    const read = vi.fn(async () => [{ types: ['image/png'], getType: async () => png }]);
    Object.defineProperty(navigator, 'clipboard', { value: { read }, configurable: true });
    try {
      const box = screen.getByRole('textbox', { name: 'Message' });
      // Text pastes as text: the clipboard is not read.
      await fireEvent.paste(box, { clipboardData: { types: ['text/plain'], items: [], files: [] } });
      expect(read).not.toHaveBeenCalled();
      await fireEvent.paste(box, { clipboardData: { types: [], items: [], files: [] } });
      await waitFor(() => expect(onpastefiles).toHaveBeenCalledTimes(1));
      expect(onpastefiles.mock.calls[0]![0]).toEqual([expect.objectContaining({ type: 'image/png' })]);
    } finally {
      Reflect.deleteProperty(navigator, 'clipboard');
    }
  });

  it('has no paperclip where nothing attaches', () => {
    setup();
    expect(screen.queryByRole('button', { name: 'Attach files' })).not.toBeInTheDocument();
  });
});

describe('Composer link previews', () => {
  const preview: LinkPreview = {
    url: 'https://example.com/a',
    title: 'Example',
    description: 'A page',
    siteName: 'Example Site',
    thumbnail: '',
  };

  it('asks for the first https link once typing pauses, shows the card and sends it', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const previewFor = vi.fn(async (_url: string) => preview);
    const onsend = vi.fn(async () => {});
    render(Composer, { props: { canPost: true, onsend, ontyping: vi.fn(), previewFor } });
    const box = screen.getByRole('textbox', { name: 'Message' });
    await fireEvent.input(box, { target: { value: 'see `https://code.example` and https://example.com/a.' } });
    expect(previewFor).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(650);
    expect(previewFor).toHaveBeenCalledExactlyOnceWith('https://example.com/a');
    const card = await screen.findByRole('group', { name: 'Link preview' });
    expect(within(card).getByText('Example')).toBeInTheDocument();
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(onsend).toHaveBeenCalledWith('see `https://code.example` and https://example.com/a.', preview);
    expect(screen.queryByRole('group', { name: 'Link preview' })).toBeNull();
  });

  it('sends without the card once it is removed, and shows nothing when the fetch fails', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const previewFor = vi.fn(async (url: string) => (url === preview.url ? preview : null));
    const onsend = vi.fn(async () => {});
    render(Composer, { props: { canPost: true, onsend, ontyping: vi.fn(), previewFor } });
    const box = screen.getByRole('textbox', { name: 'Message' });
    await fireEvent.input(box, { target: { value: 'https://example.com/a' } });
    await vi.advanceTimersByTimeAsync(650);
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove link preview' }));
    expect(screen.queryByRole('group', { name: 'Link preview' })).toBeNull();
    await fireEvent.input(box, { target: { value: 'https://example.com/a ok' } });
    await vi.advanceTimersByTimeAsync(650);
    expect(previewFor).toHaveBeenCalledTimes(1); // removed stays removed
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(onsend).toHaveBeenCalledWith('https://example.com/a ok', null);

    await fireEvent.input(box, { target: { value: 'https://fails.example' } });
    await vi.advanceTimersByTimeAsync(650);
    expect(previewFor).toHaveBeenLastCalledWith('https://fails.example');
    expect(screen.queryByRole('group', { name: 'Link preview' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('asks nothing without previewFor (previews off, or a secret chat)', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const onsend = vi.fn(async () => {});
    render(Composer, { props: { canPost: true, onsend, ontyping: vi.fn() } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Message' }), { target: { value: 'https://example.com/a' } });
    await vi.advanceTimersByTimeAsync(650);
    expect(screen.queryByRole('group', { name: 'Link preview' })).toBeNull();
  });
});
