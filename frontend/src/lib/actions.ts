// Flows that more than one component starts (the Lock button, Ctrl+L and
// "Lock now" in settings), kept in one place so they behave the same.

import type { AppContext } from './context';

/** Locks the vault and shows the unlock screen. */
export async function lockVault(ctx: AppContext): Promise<void> {
  try {
    await ctx.api.account.lock();
  } catch {
    // The vault may already be locked (idle timer) or Go is unreachable:
    // show whatever Status says rather than pretending the lock worked.
    await refreshStatus(ctx);
    return;
  }
  ctx.settings.reset();
  ctx.session.locked('manual');
  await refreshStatus(ctx);
}

/** Re-reads Status and shows the screen it calls for. */
export async function refreshStatus(ctx: AppContext): Promise<void> {
  try {
    const status = await ctx.api.account.status();
    if (status.state !== 'unlocked') ctx.settings.reset();
    if (ctx.session.screen === 'main' && status.state === 'unlocked' && !status.removed) {
      ctx.session.status = status;
      return;
    }
    ctx.session.applyStatus(status);
  } catch (err) {
    ctx.session.unavailable(err instanceof Error ? err.message : String(err));
  }
}
