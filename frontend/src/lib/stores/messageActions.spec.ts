import { describe, expect, it, vi } from 'vitest';
import { LOCAL_ID_PREFIX } from '../messenger.svelte';
import { createFakeApi, sampleMessage } from '../testing/fakeApi';
import { MessageActionsState } from './messageActions.svelte';

// A message whose Send Go refused before storing it exists only on screen, under
// a local id: Retry sends it anew and Delete takes it away, without asking Go
// about an id it never had.
describe('MessageActionsState with a message Go never took', () => {
  function setup() {
    const api = createFakeApi({ state: 'unlocked' });
    const local = { resend: vi.fn(async () => {}), drop: vi.fn() };
    const actions = new MessageActionsState(api, 'c'.repeat(32), () => undefined, () => {}, local);
    const stranded = sampleMessage({ id: `${LOCAL_ID_PREFIX}1`, outgoing: true, status: 'failed', body: 'lost' });
    const stored = sampleMessage({ outgoing: true, status: 'failed', body: 'kept' });
    return { api, local, actions, stranded, stored };
  }

  it('Retry sends a local message anew, and a stored one through Go', async () => {
    const { api, local, actions, stranded, stored } = setup();
    await actions.retry(stranded);
    expect(local.resend).toHaveBeenCalledWith(stranded);
    expect(api.chats.retryMessage).not.toHaveBeenCalled();
    await actions.retry(stored);
    expect(api.chats.retryMessage).toHaveBeenCalledWith('c'.repeat(32), stored.id);
  });

  it('Delete drops local messages on screen and asks Go only about the others', async () => {
    const { api, local, actions, stranded, stored } = setup();
    actions.deleting = [stranded];
    await actions.delete(false);
    expect(local.drop).toHaveBeenCalledWith(stranded);
    expect(api.chats.deleteMessages).not.toHaveBeenCalled();
    actions.deleting = [stranded, stored];
    await actions.delete(false);
    expect(api.chats.deleteMessages).toHaveBeenCalledWith('c'.repeat(32), [stored.id], false);
    expect(actions.deleting).toBeNull();
  });
});
