package relay_test

import (
	"bytes"
	"testing"

	"hush/devicelink"
	"hush/ids"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// openLink opens a link session on a fresh, unauthenticated connection.
func openLink(t *testing.T, r *relaytest.Relay, id ids.LinkSession) *relaytest.Conn {
	t.Helper()
	c, err := relaytest.DialRaw(testCtx(t), r.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	request[*wire.OK](t, c, &wire.LinkOpen{Session: id, PublicKey: linkKey(id)})
	return c
}

func linkKey(id ids.LinkSession) []byte { return bytes.Repeat(id[:1], devicelink.PublicKeySize) }

func TestLinkSession(t *testing.T) {
	clk := fakeClock()
	r := relaytest.Start(t, &relaytest.Options{Clock: clk})
	alice := relaytest.NewAccount(t)
	sponsor := relaytest.Dial(t, r, alice)
	mallory := relaytest.Dial(t, r, relaytest.NewAccount(t))
	id := ids.LinkSession{1}
	newcomer := openLink(t, r, id)

	// Nothing passes before the code was entered; a linking device may do nothing else.
	requestErr(t, newcomer, &wire.LinkSend{Session: id, Payload: []byte("early")}, wire.CodeConflict)
	requestErr(t, newcomer, &wire.ChatList{}, wire.CodeUnauthenticated)
	requestErr(t, newcomer, &wire.LinkSend{Session: ids.LinkSession{9}, Payload: []byte("x")}, wire.CodeUnauthenticated)
	requestErr(t, sponsor, &wire.LinkClaim{Session: ids.LinkSession{9}}, wire.CodeNotFound)

	// Claimed once; then messages pass both ways, to the two ends only.
	offer := request[*wire.LinkOffer](t, sponsor, &wire.LinkClaim{Session: id})
	if !bytes.Equal(offer.PublicKey, linkKey(id)) {
		t.Fatal("the offer does not carry the newcomer's key")
	}
	requestErr(t, mallory, &wire.LinkClaim{Session: id}, wire.CodeNotFound)
	requestErr(t, mallory, &wire.LinkSend{Session: id, Payload: []byte("hi")}, wire.CodeNotFound)
	request[*wire.OK](t, sponsor, &wire.LinkSend{Session: id, Payload: []byte("commit")})
	if p := nextPush[*wire.LinkPush](t, newcomer); string(p.Payload) != "commit" {
		t.Errorf("newcomer got %q", p.Payload)
	}
	request[*wire.OK](t, newcomer, &wire.LinkSend{Session: id, Payload: []byte("reply")})
	if p := nextPush[*wire.LinkPush](t, sponsor); string(p.Payload) != "reply" {
		t.Errorf("sponsor got %q", p.Payload)
	}
	noPush(t, mallory)

	// The session expires: both ends are told, the newcomer is closed.
	clk.Advance(wire.LinkLifetime)
	if p := nextPush[*wire.LinkClosed](t, sponsor); p.Session != id {
		t.Errorf("LinkClosed for %v", p.Session)
	}
	if p := nextPush[*wire.LinkClosed](t, newcomer); p.Session != id {
		t.Errorf("LinkClosed for %v", p.Session)
	}
	<-newcomer.Done()
	requestErr(t, sponsor, &wire.LinkSend{Session: id, Payload: []byte("late")}, wire.CodeNotFound)
}

// One end leaving ends the session for the other.
func TestLinkSessionEndLeaves(t *testing.T) {
	r := relaytest.Start(t, nil)
	sponsor := relaytest.Dial(t, r, relaytest.NewAccount(t))
	id := ids.LinkSession{2}
	newcomer := openLink(t, r, id)
	request[*wire.LinkOffer](t, sponsor, &wire.LinkClaim{Session: id})
	newcomer.Close()
	if p := nextPush[*wire.LinkClosed](t, sponsor); p.Session != id {
		t.Errorf("LinkClosed for %v", p.Session)
	}

	id2 := ids.LinkSession{3}
	newcomer2 := openLink(t, r, id2)
	request[*wire.LinkOffer](t, sponsor, &wire.LinkClaim{Session: id2})
	sponsor.Close()
	if p := nextPush[*wire.LinkClosed](t, newcomer2); p.Session != id2 {
		t.Errorf("LinkClosed for %v", p.Session)
	}
	<-newcomer2.Done()
}

func TestLinkSessionLimits(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{MaxLinkSessionsPerNetwork: 2}})
	openLink(t, r, ids.LinkSession{1})
	openLink(t, r, ids.LinkSession{2})
	c, err := relaytest.DialRaw(testCtx(t), r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	requestErr(t, c, &wire.LinkOpen{Session: ids.LinkSession{3}, PublicKey: linkKey(ids.LinkSession{3})}, wire.CodeRateLimited)

	// The limit is per network at once, not for good: with room again, a taken id
	// is still refused.
	r2 := relaytest.Start(t, nil)
	openLink(t, r2, ids.LinkSession{1})
	c3, err := relaytest.DialRaw(testCtx(t), r2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	requestErr(t, c3, &wire.LinkOpen{Session: ids.LinkSession{1}, PublicKey: linkKey(ids.LinkSession{1})}, wire.CodeConflict)
}

func encode(b wire.Body) error {
	_, err := wire.Encode(1, b)
	return err
}

// The wire's link sizes are devicelink's.
func TestLinkSizes(t *testing.T) {
	if err := encode(&wire.LinkOpen{PublicKey: make([]byte, devicelink.PublicKeySize)}); err != nil {
		t.Errorf("a link key of devicelink.PublicKeySize: %v", err)
	}
	if err := encode(&wire.LinkSend{Payload: make([]byte, devicelink.MaxMessageSize)}); err != nil {
		t.Errorf("a link message of devicelink.MaxMessageSize: %v", err)
	}
	if err := encode(&wire.LinkSend{Payload: make([]byte, devicelink.MaxMessageSize+1)}); err == nil {
		t.Error("a link message above devicelink.MaxMessageSize passes")
	}
}
