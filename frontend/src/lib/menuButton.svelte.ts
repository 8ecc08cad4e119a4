// A button that opens a menu, as the ARIA menu button pattern has it: Enter,
// Space or ArrowDown opens it (ArrowUp on the last item), arrows move,
// Escape closes it and focus returns to the button, Tab or a click elsewhere
// closes it. The component binds `button` and `menu` and wires the handlers.

import { tick } from 'svelte';
import { menuItems, moveInMenu } from './menu';

export class MenuButton {
  open = $state(false);
  button = $state<HTMLButtonElement>();
  menu = $state<HTMLElement>();

  /**
   * @param menuId the menu element's id, which the button names
   * @param opensAt the item focused when the menu opens (its index)
   */
  constructor(
    private readonly menuId: string,
    private readonly opensAt: () => number = () => 0,
  ) {}

  /** The button's ARIA state and handlers, spread on it. */
  get buttonProps() {
    return {
      'aria-haspopup': 'menu' as const,
      'aria-expanded': this.open,
      'aria-controls': this.open ? this.menuId : undefined,
      onclick: this.toggle,
      onkeydown: this.onbuttonkey,
    };
  }

  /** The menu's role, id and handlers, spread on it. */
  get menuProps() {
    return {
      role: 'menu' as const,
      id: this.menuId,
      tabindex: -1,
      onkeydown: this.onmenukey,
      onfocusout: this.onfocusout,
    };
  }

  /** Opens the menu, focus on item `index` (negative counts from the end). */
  async show(index = this.opensAt()): Promise<void> {
    this.open = true;
    await tick();
    const items = menuItems(this.menu);
    items[(index + items.length) % items.length]?.focus();
  }

  hide(returnFocus: boolean): void {
    this.open = false;
    if (returnFocus) this.button?.focus();
  }

  toggle = (): void => {
    if (this.open) this.hide(false);
    else void this.show();
  };

  onbuttonkey = (e: KeyboardEvent): void => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      void this.show(e.key === 'ArrowDown' ? this.opensAt() : -1);
    }
  };

  onmenukey = (e: KeyboardEvent): void => {
    if (moveInMenu(e, this.menu)) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.hide(true);
    } else if (e.key === 'Tab') {
      this.hide(false);
    }
  };

  onfocusout = (e: FocusEvent): void => {
    const to = e.relatedTarget as Node | null;
    if (this.open && to && !this.menu?.contains(to) && to !== this.button) this.hide(false);
  };

  /** For the window's pointerdown: a press outside the menu and its button closes it. */
  onwindowpointer = (e: PointerEvent): void => {
    const target = e.target as Node;
    if (this.open && !this.menu?.contains(target) && !this.button?.contains(target)) this.hide(false);
  };
}
