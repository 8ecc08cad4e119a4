package relay_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hush/identity"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

func TestAuthHappyPath(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice := relaytest.NewAccount(t)
	ctx := testCtx(t)

	c, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Hello.Versions) != 1 || c.Hello.Versions[0] != wire.Version {
		t.Errorf("Hello.Versions = %v", c.Hello.Versions)
	}
	if c.Hello.Limits.MaxFrameSize != wire.MaxFrameSize || c.Hello.Limits.Burst == 0 {
		t.Errorf("Hello.Limits = %+v", c.Hello.Limits)
	}
	ok, err := c.Auth(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if ok.AccountID != alice.AccountID() || ok.DeviceID != alice.DeviceID() || !ok.NewAccount {
		t.Errorf("AuthOK = %+v, want account %v device %v new", ok, alice.AccountID(), alice.DeviceID())
	}

	// The same device again, and a second device: the account is known now.
	for _, d := range []*relaytest.Device{alice, relaytest.Sibling(t, alice)} {
		c2, err := relaytest.DialRaw(ctx, r.URL)
		if err != nil {
			t.Fatal(err)
		}
		if c2.Hello.Challenge == c.Hello.Challenge {
			t.Error("two connections got the same challenge")
		}
		ok, err := c2.Auth(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if ok.NewAccount || ok.AccountID != alice.AccountID() || ok.DeviceID != d.DeviceID() {
			t.Errorf("AuthOK = %+v", ok)
		}
		c2.Close()
	}
	acct := request[*wire.Account](t, c, &wire.LookupAccount{AccountID: alice.AccountID()})
	if len(acct.Devices) != 2 {
		t.Errorf("account lists %d devices, want 2", len(acct.Devices))
	}
}

func TestAuthFailures(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, mallory := relaytest.NewAccount(t), relaytest.NewAccount(t)
	relaytest.Dial(t, r, alice) // registers alice's device under alice

	// A certificate for alice's device key issued by another account.
	stolen, err := identity.IssueCertificate(mallory.Account, alice.Key.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		auth func(c *relaytest.Conn) wire.Body
		code wire.Code
	}{
		{"bad signature", func(c *relaytest.Conn) wire.Body {
			var other wire.Challenge
			return &wire.Auth{DeviceCert: alice.Cert, Signature: alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(other, originOf(t, r)))}
		}, wire.CodeAuthFailed},
		{"signature for another origin", func(c *relaytest.Conn) wire.Body {
			return &wire.Auth{DeviceCert: alice.Cert, Signature: alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(c.Hello.Challenge, "wss://evil.example"))}
		}, wire.CodeAuthFailed},
		{"signature with another label", func(c *relaytest.Conn) wire.Body {
			return &wire.Auth{DeviceCert: alice.Cert, Signature: alice.Key.Sign("other", wire.AuthMessage(c.Hello.Challenge, originOf(t, r)))}
		}, wire.CodeAuthFailed},
		{"certificate of another device", func(c *relaytest.Conn) wire.Body {
			return &wire.Auth{DeviceCert: mallory.Cert, Signature: alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(c.Hello.Challenge, originOf(t, r)))}
		}, wire.CodeAuthFailed},
		{"device of another account", func(c *relaytest.Conn) wire.Body {
			return &wire.Auth{DeviceCert: stolen, Signature: alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(c.Hello.Challenge, originOf(t, r)))}
		}, wire.CodeAuthFailed},
		{"garbage certificate", func(c *relaytest.Conn) wire.Body {
			return &wire.Auth{DeviceCert: []byte("not a certificate"), Signature: make([]byte, 64)}
		}, wire.CodeAuthFailed},
		{"request before auth", func(c *relaytest.Conn) wire.Body {
			return &wire.LookupHandle{Handle: "alice"}
		}, wire.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			c, err := relaytest.DialRaw(ctx, r.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			requestErr(t, c, tt.auth(c), tt.code)
			<-c.Done()
			if s := c.CloseStatus(); s != websocket.StatusPolicyViolation {
				t.Errorf("close status %v, want %v", s, websocket.StatusPolicyViolation)
			}
		})
	}
	t.Run("malformed first frame", func(t *testing.T) {
		ctx := testCtx(t)
		c, err := relaytest.DialRaw(ctx, r.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.WriteRaw(ctx, []byte{0xff}); err != nil {
			t.Fatal(err)
		}
		if e := nextPush[*wire.Error](t, c); e.Code != wire.CodeBadFrame {
			t.Errorf("error %v, want CodeBadFrame", e)
		}
		<-c.Done()
	})
	// The stolen certificate did not move alice's device to mallory.
	ok := relaytest.Dial(t, r, alice)
	requestErr(t, ok, &wire.LookupAccount{AccountID: mallory.AccountID()}, wire.CodeNotFound)
}

func TestAuthTimeout(t *testing.T) {
	clk := fakeClock()
	r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{AuthTimeout: 10 * time.Second}})
	base := clk.Pending() // the relay's own periodic tasks
	ctx := testCtx(t)
	c, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testutil.Eventually(t, 10*time.Second, "the authentication timer", func() bool { return clk.Pending() == base+1 })
	clk.Advance(9 * time.Second)
	noPush(t, c)
	clk.Advance(time.Second)
	if e := nextPush[*wire.Error](t, c); e.Code != wire.CodeAuthTimeout {
		t.Errorf("error %v, want CodeAuthTimeout", e)
	}
	<-c.Done()
	if s := c.CloseStatus(); s != websocket.StatusPolicyViolation {
		t.Errorf("close status %v, want %v", s, websocket.StatusPolicyViolation)
	}

	// Authenticating in time stops the timer.
	alice := relaytest.NewAccount(t)
	c2 := relaytest.Dial(t, r, alice)
	testutil.Eventually(t, 10*time.Second, "the authentication timer to stop", func() bool { return clk.Pending() == base })
	clk.Advance(time.Minute)
	request[*wire.Chats](t, c2, &wire.ChatList{})
}

// deviceList signs version v of d's account's device list naming devs and revoking
// revoked.
func deviceList(t *testing.T, d *relaytest.Device, v uint64, devs []*relaytest.Device, revoked ...*relaytest.Device) *wire.PutDeviceList {
	t.Helper()
	l := identity.DeviceList{Version: v, IssuedAt: time.Unix(1_700_000_000+int64(v), 0)}
	for _, x := range devs {
		l.Devices = append(l.Devices, identity.ListedDevice{Key: x.Key.Public(), Name: "device", Platform: "linux"})
	}
	for _, x := range revoked {
		l.Revoked = append(l.Revoked, x.DeviceID())
	}
	b, err := identity.IssueDeviceList(d.Account, l)
	if err != nil {
		t.Fatal(err)
	}
	return &wire.PutDeviceList{List: b}
}

// revokedBy requires that c gets the device list that revokes it — first, so it
// knows from its account, not only from the relay, that it was removed — and is
// then closed as revoked.
func revokedBy(t *testing.T, c *relaytest.Conn, list *wire.PutDeviceList) {
	t.Helper()
	if p := nextPush[*wire.DeviceListPush](t, c); !bytes.Equal(p.List, list.List) {
		t.Error("the revoked device did not get the list that revokes it")
	}
	if e := nextPush[*wire.Error](t, c); e.Code != wire.CodeDeviceRevoked {
		t.Errorf("revoked connection got %v", e)
	}
	<-c.Done()
	if s := c.CloseStatus(); s != 4001 {
		t.Errorf("close status %v, want 4001", s)
	}
}

// The relay keeps an account's newest signed device list, refuses what does not
// supersede it, registers only devices it names, and pushes it to the account's
// devices and to the accounts that share a chat with it.
func TestDeviceLists(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice := relaytest.NewAccount(t)
	laptop := relaytest.Sibling(t, alice)
	phone := relaytest.Dial(t, r, alice)
	bob := relaytest.NewAccount(t)
	bc := relaytest.Dial(t, r, bob)
	carol := relaytest.NewAccount(t)
	cc := relaytest.Dial(t, r, carol)
	chatWith(t, phone, policy.KindGroup, alice, bob)
	drain(bc)

	v1 := deviceList(t, alice, 1, []*relaytest.Device{alice, laptop})
	request[*wire.OK](t, phone, v1)
	request[*wire.OK](t, phone, v1) // a retry
	if p := nextPush[*wire.DeviceListPush](t, bc); p.AccountID != alice.AccountID() || !bytes.Equal(p.List, v1.List) {
		t.Errorf("bob got the push %+v", p)
	}
	noPush(t, cc) // carol shares no chat with alice
	acct := request[*wire.Account](t, bc, &wire.LookupAccount{AccountID: alice.AccountID()})
	if !bytes.Equal(acct.DeviceList, v1.List) {
		t.Error("the lookup does not return the device list")
	}
	if len(acct.Seen) != 0 {
		t.Error("Bob learns when Alice's devices were last seen")
	}
	own := request[*wire.Account](t, phone, &wire.LookupAccount{AccountID: alice.AccountID()})
	if len(own.Seen) != 1 || own.Seen[0].DeviceID != alice.DeviceID() || own.Seen[0].At == 0 {
		t.Errorf("Alice's own look-up: seen %+v", own.Seen)
	}

	// Listed devices register; one the list does not name cannot.
	lc := relaytest.Dial(t, r, laptop)
	stranger := relaytest.Sibling(t, alice)
	ctx := testCtx(t)
	c, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Auth(ctx, stranger); !errorIs(err, wire.ErrAuthFailed) {
		t.Fatalf("a device the list does not name authenticated: %v", err)
	}

	// Only the account's key signs its lists; none goes back in time or un-revokes.
	requestErr(t, bc, deviceList(t, alice, 2, []*relaytest.Device{alice}), wire.CodeForbidden)
	requestErr(t, phone, deviceList(t, bob, 2, []*relaytest.Device{bob}), wire.CodeForbidden)
	requestErr(t, phone, deviceList(t, alice, 1, []*relaytest.Device{alice}), wire.CodeConflict)

	// Version 2 revokes the laptop: it is closed at once and refused after.
	v2 := deviceList(t, alice, 2, []*relaytest.Device{alice}, laptop)
	request[*wire.OK](t, phone, v2)
	revokedBy(t, lc, v2)
	if p := nextPush[*wire.DeviceListPush](t, bc); !bytes.Equal(p.List, v2.List) {
		t.Error("bob did not get the revocation")
	}
	requestErr(t, phone, deviceList(t, alice, 3, []*relaytest.Device{alice, laptop}), wire.CodeConflict)
	c2, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Auth(ctx, laptop); !errorIs(err, wire.ErrDeviceRevoked) {
		t.Fatalf("revoked device authenticated: %v", err)
	}
	// A fresh certificate for the revoked key does not bring it back.
	fresh, err := identity.IssueCertificate(alice.Account, laptop.Key.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c3, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if _, err := c3.Auth(ctx, &relaytest.Device{Account: alice.Account, Key: laptop.Key, Cert: fresh}); !errorIs(err, wire.ErrDeviceRevoked) {
		t.Fatalf("revoked device authenticated with a fresh certificate: %v", err)
	}
	acct = request[*wire.Account](t, phone, &wire.LookupAccount{AccountID: alice.AccountID()})
	if len(acct.Devices) != 1 {
		t.Errorf("account lists %d devices after revocation, want 1", len(acct.Devices))
	}
}

// The relay's device limit and the signed list's are one number.
func TestDeviceListLimit(t *testing.T) {
	if identity.MaxListedDevices != wire.MaxDevicesPerAccount {
		t.Fatalf("identity.MaxListedDevices %d, wire.MaxDevicesPerAccount %d", identity.MaxListedDevices, wire.MaxDevicesPerAccount)
	}
}

func TestTooManyConnections(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{MaxConnsPerAccount: 2}})
	alice := relaytest.NewAccount(t)
	relaytest.Dial(t, r, alice)
	second := relaytest.Dial(t, r, relaytest.Sibling(t, alice))
	ctx := testCtx(t)
	c, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Auth(ctx, alice); !errorIs(err, wire.ErrTooManyConnections) {
		t.Fatalf("third connection: %v", err)
	}
	<-c.Done()
	// Closing one frees a place.
	second.Close()
	<-second.Done()
	testutil.Eventually(t, 10*time.Second, "a free connection for the account", func() bool {
		c, err := relaytest.DialRaw(ctx, r.URL)
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = c.Auth(ctx, alice)
		return err == nil
	})
}

func errorIs(err error, target *wire.Error) bool {
	we, ok := err.(*wire.Error)
	return ok && we.Code == target.Code
}
