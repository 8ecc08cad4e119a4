// Contacts by account id (ContactService.List, Add and MarkVerified results),
// so chat headers can show a changed key and dialogs can offer people to add.

import type { Contact } from '../api';

export class ContactsStore {
  byId = $state.raw<ReadonlyMap<string, Contact>>(new Map());

  /** In a stable order for pickers: by name, then handle. */
  get list(): Contact[] {
    return [...this.byId.values()].sort(
      (a, b) =>
        (a.displayName || a.handle).localeCompare(b.displayName || b.handle) ||
        a.handle.localeCompare(b.handle),
    );
  }

  set(list: readonly Contact[]): void {
    this.byId = new Map(list.map((c) => [c.accountId, c]));
  }

  upsert(contact: Contact): void {
    const next = new Map(this.byId);
    next.set(contact.accountId, contact);
    this.byId = next;
  }

  get(accountId: string): Contact | undefined {
    return this.byId.get(accountId);
  }

  reset(): void {
    this.byId = new Map();
  }
}
