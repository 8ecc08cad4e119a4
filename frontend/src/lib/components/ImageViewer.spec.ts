import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { FileInfo } from '../api';
import { Messenger } from '../messenger.svelte';
import { createFakeApi } from '../testing/fakeApi';
import { attentiveEnv, createTestContext, renderWithContext } from '../testing/render';
import ImageViewer from './ImageViewer.svelte';

const photo: FileInfo = { id: 'f1', name: 'photo.png', mime: 'image/png', size: 4096, thumbnail: 'data:image/jpeg;base64,/9j/', downloaded: true };

function setup() {
  const api = createFakeApi({ state: 'unlocked' });
  const onclose = vi.fn();
  let answer: (url: string) => void = () => {};
  let refuse: (err: Error) => void = () => {};
  api.files.image.mockImplementationOnce(() => new Promise((r, j) => ((answer = r), (refuse = j))));
  renderWithContext(ImageViewer, { file: photo, onclose }, createTestContext({ api }), new Messenger(api, attentiveEnv()));
  return { api, onclose, answer: (u: string) => answer(u), refuse: (e: Error) => refuse(e), user: userEvent.setup() };
}

describe('ImageViewer', () => {
  it('shows the thumbnail until Go has decrypted the image, then the image named by the file', async () => {
    const { api, answer, onclose, user } = setup();
    const dialog = screen.getByRole('dialog', { name: 'photo.png' });
    expect(within(dialog).getByRole('status')).toHaveTextContent('Opening…');
    expect(within(dialog).getByRole('img', { name: 'photo.png' })).toHaveAttribute('src', photo.thumbnail);
    expect(api.files.image).toHaveBeenCalledWith('f1');
    answer('data:image/png;base64,iVBORw0KGgo=');
    await waitFor(() => expect(within(dialog).getByRole('img', { name: 'photo.png' })).toHaveAttribute('src', 'data:image/png;base64,iVBORw0KGgo='));
    expect(within(dialog).queryByRole('status')).not.toBeInTheDocument();
    expect(within(dialog).getByText('4 KB')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it('says why Go will not show it, and still saves it', async () => {
    const { api, refuse, user } = setup();
    refuse(new Error('This file is not an image Hush can show: save it to open it.'));
    expect(await screen.findByRole('alert')).toHaveTextContent('This file is not an image Hush can show');
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    try {
      await user.click(screen.getByRole('button', { name: 'Save as…' }));
      await waitFor(() => expect(api.files.downloadLink).toHaveBeenCalledWith('f1'));
    } finally {
      click.mockRestore();
    }
  });
});
