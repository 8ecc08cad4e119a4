// Package membership is the end-to-end membership log of a cloud chat: who is in it,
// with which role, under which title — as its members signed it, not as the relay
// says.
//
// Every change (create, add, remove, leave, role change, title) is a [Record] signed
// by a device of an account allowed to make it at that point, and chained by hash to
// the record before it. A client derives members and roles only from a log it
// verified itself ([State.Apply]); the relay stores the records and keeps its own copy
// of the membership for access control, and an honest relay runs the same checks
// before it accepts a record. What the relay cannot do: add a member, change a role,
// hide a removal from the members who fetch the log after it, or rewrite a record any
// member already holds (two records at one position are a fork, [ErrFork]).
//
// The package does no I/O and keeps no state of its own: callers store the records
// (the client in its vault, the relay in its store) and replay them. The byte layout,
// the rules and what a malicious relay can still do are in docs/SECURITY.md
// ("Membership log").
package membership
