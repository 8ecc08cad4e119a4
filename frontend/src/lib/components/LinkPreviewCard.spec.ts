import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { LinkPreview } from '../api';
import LinkPreviewCard from './LinkPreviewCard.svelte';

const preview: LinkPreview = {
  url: 'https://example.com/',
  title: '<b>Title</b>',
  description: '<img src=x onerror=alert(1)> a description',
  siteName: 'Example',
  thumbnail: 'data:image/jpeg;base64,/9j/2Q==',
};

describe('LinkPreviewCard', () => {
  it('shows site, bold title, description and thumbnail, as text and not as a link', () => {
    const { container } = render(LinkPreviewCard, { props: { preview } });
    const card = screen.getByRole('group', { name: 'Link preview' });
    expect(card).toHaveTextContent('Example');
    expect(screen.getByText('<b>Title</b>').tagName).toBe('STRONG');
    expect(screen.getByText('<img src=x onerror=alert(1)> a description')).toBeInTheDocument();
    expect(container.querySelectorAll('img')).toHaveLength(1);
    expect(container.querySelector('img')).toHaveAttribute('src', preview.thumbnail);
    expect(container.querySelector('a')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('draws only a JPEG data URL as its image', () => {
    const { container } = render(LinkPreviewCard, { props: { preview: { ...preview, thumbnail: 'https://tracker.example/p.gif' } } });
    expect(container.querySelector('img')).toBeNull();
  });

  it('offers "Remove link preview" in the composer', async () => {
    const onremove = vi.fn();
    render(LinkPreviewCard, { props: { preview, onremove } });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Remove link preview' }));
    expect(onremove).toHaveBeenCalledOnce();
  });
});
