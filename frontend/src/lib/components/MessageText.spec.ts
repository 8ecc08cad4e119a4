import { fireEvent, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import MessageText from './MessageText.svelte';

function renderText(text: string, mode: Api['mode']) {
  const api = createFakeApi({ state: 'unlocked' });
  const withMode = Object.assign(Object.create(Object.getPrototypeOf(api) as object) as typeof api, api, { mode });
  const messenger = new Messenger(withMode, attentiveEnv());
  const r = renderWithContext(MessageText, { text }, createTestContext({ api: withMode }), messenger);
  return { api: withMode, ...r };
}

describe('MessageText', () => {
  it('shows addresses as links that open outside, with neither opener nor referrer', () => {
    const { container } = renderText('read https://example.com/a, then mail mailto:ada@example.com', 'browser');
    const web = screen.getByRole('link', { name: 'https://example.com/a' });
    expect(web).toHaveAttribute('href', 'https://example.com/a');
    expect(web).toHaveAttribute('target', '_blank');
    expect(web).toHaveAttribute('rel', 'noopener noreferrer');
    expect(screen.getByRole('link', { name: 'mailto:ada@example.com' })).toHaveAttribute('href', 'mailto:ada@example.com');
    expect(container.textContent).toBe('read https://example.com/a, then mail mailto:ada@example.com');
  });

  it('leaves javascript: and other schemes as text, and builds no markup from the text', () => {
    const { container } = renderText('javascript:alert(1) <img src=x onerror=alert(1)> data:text/html,x', 'browser');
    expect(screen.queryByRole('link')).not.toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toBe('javascript:alert(1) <img src=x onerror=alert(1)> data:text/html,x');
  });

  it('shows bold, italic, struck text, code and code blocks as elements', () => {
    const text = '**bold** _it_ *it too* ~~gone~~ `x <b>` and\n```\n  keep  spaces\n```\nsnake_case 2*3*4';
    const { container } = renderText(text, 'browser');
    expect(container.querySelector('strong')).toHaveTextContent('bold');
    expect([...container.querySelectorAll('em')].map((e) => e.textContent)).toEqual(['it', 'it too']);
    expect(container.querySelector('s')).toHaveTextContent('gone');
    expect(container.querySelector('code')?.textContent).toBe('x <b>');
    expect(container.querySelector('pre')?.textContent).toBe('  keep  spaces');
    expect(container.querySelector('b')).toBeNull(); // the <b> in the code is text
    expect(container.textContent).toBe('bold it it too gone x <b> and\n  keep  spaces\nsnake_case 2*3*4');
  });

  it('keeps links working inside formatting, and never links in code', () => {
    const { container } = renderText('**see https://example.com/a_b** `https://example.org`', 'browser');
    const link = screen.getByRole('link', { name: 'https://example.com/a_b' });
    expect(link.closest('strong')).not.toBeNull();
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    expect(screen.getAllByRole('link')).toHaveLength(1);
    expect(container.querySelector('code')).toHaveTextContent('https://example.org');
  });

  it('in the desktop window, opens a link in the system browser, never in the window', async () => {
    const { api } = renderText('see www.example.com now', 'wails');
    const link = screen.getByRole('link', { name: 'www.example.com' });
    expect(link).toHaveAttribute('href', 'https://www.example.com/');
    const followed = await fireEvent.click(link);
    expect(followed).toBe(false); // default prevented: the WebView stays on Hush
    expect(api.openURL).toHaveBeenCalledWith('https://www.example.com/');
  });

  it('in browser mode, leaves the click to the browser (a new tab)', async () => {
    const { api } = renderText('see https://example.com', 'browser');
    // jsdom does not navigate; what matters is that Hush does not take the click over.
    const followed = await fireEvent.click(screen.getByRole('link', { name: 'https://example.com' }));
    expect(followed).toBe(true);
    expect(api.openURL).not.toHaveBeenCalled();
  });
});
