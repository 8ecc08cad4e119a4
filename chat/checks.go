package chat

// checks switches off, one by one, the protections against a malicious relay
// (docs/SECURITY.md, "Threats"). Every field is false in a running engine: nothing
// outside this package's tests sets them. The tests of attack_test.go set one to
// show that the attack they try succeeds without its protection, then try it again
// against the real engine and watch it fail — so no test of a protection can pass by
// not attacking.
type checks struct {
	// relayMembers wraps new epoch keys to the members the relay lists rather than
	// to those the verified membership log lists.
	relayMembers bool
	// anySigner accepts an epoch key signed by any member, channel subscribers
	// included, rather than by one the log allows to sign at that point.
	anySigner bool
	// fallBack sends in the current epoch when the new one a removal requires could
	// not be made (the relay refused it).
	fallBack bool
	// bareKeys pins the account key the relay returns without checking that the
	// account certified it.
	bareKeys bool
	// obeyRelay deletes a chat the relay stops serving, as older versions did.
	obeyRelay bool
	// relayRemoves takes a member list from the relay that leaves this account out
	// as its word that the account is out, and holds the chat (read-only) though
	// no signed record removed it.
	relayRemoves bool
	// noConsent treats every chat as accepted, whoever started it.
	noConsent bool
	// noCounters ignores the senders' counters, so a withheld message goes unseen.
	noCounters bool
	// relayTime shows the time the relay says it received a message rather than
	// the time its sender signed.
	relayTime bool
	// relayDevices applies any device list the relay returns, signed by any key and
	// older than the one held, as the relay's word on an account's devices.
	relayDevices bool
	// keepKEM keeps the account's ML-KEM key through a revocation: the revoked
	// device, which holds the account key, opens what is wrapped to the account
	// afterwards if the relay hands it over.
	keepKEM bool
	// sharedFileIDs lets a received message take over a file id another message
	// already uses, re-pointing that file to the new message's key and name.
	sharedFileIDs bool
	// anyAutoDelete applies an auto-delete setting from any member, not only from
	// one who may set it (an admin of a group or channel).
	anyAutoDelete bool
}
