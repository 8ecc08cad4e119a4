package relay

import "time"

// DefaultInboxRetention is how long `hush-relay` keeps an undelivered inbox item
// unless --inbox-retention says otherwise: a device offline for a month has been
// replaced or lost, and its items only cost their senders quota.
const DefaultInboxRetention = 30 * 24 * time.Hour
