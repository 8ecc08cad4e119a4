import { describe, expect, it } from 'vitest';
import { menuItems, moveInMenu } from './menu';

function menu(): HTMLElement {
  const m = document.createElement('div');
  m.setAttribute('role', 'menu');
  for (const name of ['One', 'Two', 'Three']) {
    const item = document.createElement('button');
    item.setAttribute('role', 'menuitem');
    item.textContent = name;
    m.append(item);
  }
  document.body.append(m);
  return m;
}

function press(key: string, m: HTMLElement): { handled: boolean; prevented: boolean } {
  const e = new KeyboardEvent('keydown', { key, cancelable: true });
  const handled = moveInMenu(e, m);
  return { handled, prevented: e.defaultPrevented };
}

describe('menu keys', () => {
  it.each([
    ['ArrowDown', 0, 'Two'],
    ['ArrowDown', 2, 'One'],
    ['ArrowUp', 0, 'Three'],
    ['ArrowUp', 1, 'One'],
    ['Home', 2, 'One'],
    ['End', 0, 'Three'],
  ])('%s from item %i focuses %s', (key, from, want) => {
    const m = menu();
    menuItems(m)[from]!.focus();
    expect(press(key, m)).toEqual({ handled: true, prevented: true });
    expect(document.activeElement?.textContent).toBe(want);
    m.remove();
  });

  it('leaves other keys to the menu', () => {
    const m = menu();
    menuItems(m)[1]!.focus();
    for (const key of ['Escape', 'Tab', 'Enter', 'a']) {
      expect(press(key, m)).toEqual({ handled: false, prevented: false });
    }
    expect(document.activeElement?.textContent).toBe('Two');
    expect(menuItems(undefined)).toEqual([]);
    m.remove();
  });
});
