// Keyboard movement in a menu (role="menu"), as the ARIA menu pattern has it:
// ArrowDown and ArrowUp move to the next and previous item (wrapping), Home and
// End to the first and last. What Escape and Tab do differs between menus (a
// context menu closes to its row, a menu button to its button), so each menu
// handles those itself.

/** The items of a menu (plain, or radio items such as a timer's choices), in order. */
export function menuItems(menu: HTMLElement | undefined): HTMLElement[] {
  return menu ? [...menu.querySelectorAll<HTMLElement>('[role="menuitem"], [role="menuitemradio"]')] : [];
}

/** Moves focus for ArrowDown, ArrowUp, Home and End; returns whether e was one of them. */
export function moveInMenu(e: KeyboardEvent, menu: HTMLElement | undefined): boolean {
  const list = menuItems(menu);
  const i = list.indexOf(document.activeElement as HTMLElement);
  let next: HTMLElement | undefined;
  switch (e.key) {
    case 'ArrowDown':
      next = list[(i + 1) % list.length];
      break;
    case 'ArrowUp':
      next = list[(i - 1 + list.length) % list.length];
      break;
    case 'Home':
      next = list[0];
      break;
    case 'End':
      next = list[list.length - 1];
      break;
    default:
      return false;
  }
  e.preventDefault();
  next?.focus();
  return true;
}
