// What the on/off switches of Settings → Privacy say each position means.

/** A switch's explanation, for each position. */
export interface SwitchText {
  on: string;
  off: string;
}

/** Typing indicators work both ways, as in Signal: who does not send them does not see them. */
export const TYPING_INDICATORS_TEXT: SwitchText = {
  on: 'Others see when you are typing, and you see when they are.',
  off: 'Others do not see when you are typing, and you do not see when they are.',
};

/** Link previews are off by default: the fetch tells the linked site the sender's address (docs/SECURITY.md). */
export const LINK_PREVIEWS_TEXT: SwitchText = {
  on: 'A link you send may show a preview. Your device fetches it from the linked site, which learns your IP address.',
  off: 'Links show no preview. A preview would be fetched by your device from the linked site, which would learn your IP address.',
};

/**
 * Read receipts are the account's, on all its devices, and work both ways (as
 * in Signal); secret chats keep theirs, which their self-destruct timers start
 * on (docs/SECURITY.md, "Read receipts").
 */
export const READ_RECEIPTS_TEXT: SwitchText = {
  on:
    "Others see when you have read their messages. If you turn off read receipts, you won't be able to see read receipts from others. " +
    'This applies on all your devices. Secret chats always send and show read receipts: their self-destruct timers start when a message is read.',
  off:
    'Others do not see when you have read their messages, and you do not see when they have read yours. ' +
    'This applies on all your devices. Secret chats always send and show read receipts: their self-destruct timers start when a message is read.',
};
