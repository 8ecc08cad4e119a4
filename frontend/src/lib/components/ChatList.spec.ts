import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ChatList from './ChatList.svelte';

const chats = [
  { id: '1', title: 'Grace Hopper', preview: 'Found the bug' },
  { id: '2', title: 'Project Hush', preview: 'Release on Friday' },
  { id: '3', title: 'Alan', preview: 'see you at the café' },
];

describe('ChatList', () => {
  it('says there are no chats yet', () => {
    render(ChatList, { props: { chats: [], filter: '' } });
    expect(screen.getByText('No chats yet')).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  it.each([
    ['', ['Grace Hopper', 'Project Hush', 'Alan']],
    ['hush', ['Project Hush']],
    ['  GRACE ', ['Grace Hopper']],
    ['café', ['Alan']],
    ['friday', ['Project Hush']],
  ])('filter %j shows %j', (filter, titles) => {
    render(ChatList, { props: { chats, filter } });
    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(titles.map((t) => expect.stringContaining(t)));
  });

  it('says when nothing matches', () => {
    render(ChatList, { props: { chats, filter: 'zzz' } });
    expect(screen.getByText('No chats match “zzz”')).toBeInTheDocument();
  });
});
