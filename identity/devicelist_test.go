package identity

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

// testList is version v of account 1's list: devices 21 and 23 listed, 25 revoked.
func testList(t testing.TB, v uint64) DeviceList {
	t.Helper()
	return DeviceList{
		Version:  v,
		IssuedAt: time.Unix(1_700_001_000, 0),
		Devices: []ListedDevice{
			{Key: testDevice(t, 0x21).Public(), Name: "Laptop", Platform: "linux", LinkedAt: time.Unix(1_700_000_000, 0)},
			{Key: testDevice(t, 0x23).Public(), Name: "Büro PC", Platform: "windows", LinkedAt: time.Unix(1_700_000_600, 0)},
		},
		Revoked: []ids.Device{testDevice(t, 0x25).ID()},
	}
}

func TestDeviceListKnownAnswer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "devicelist_kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		Record    string `json:"record"`
		RevokedID string `json:"revoked_id"`
	}
	if err := json.Unmarshal(b, &kat); err != nil {
		t.Fatal(err)
	}
	got, err := IssueDeviceList(testAccount(t, 1), testList(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != kat.Record {
		t.Fatalf("device list differs from the independent generator's:\n got %x\nwant %s", got, kat.Record)
	}
	want, _ := hex.DecodeString(kat.Record)
	l, err := ParseDeviceList(want)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 3 || len(l.Devices) != 2 || l.Devices[1].Name != "Büro PC" || l.Revoked[0].String() != kat.RevokedID {
		t.Fatalf("parsed %+v", l)
	}
	if !l.Account.Equal(testAccount(t, 1).Public()) {
		t.Fatal("parsed list names another account")
	}
}

// TestDeviceListKEMKnownAnswer checks format 2 (the list names the account's
// ML-KEM-768 key) against the independent generator.
func TestDeviceListKEMKnownAnswer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "devicelist_kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		Record string `json:"record_kem"`
	}
	if err := json.Unmarshal(b, &kat); err != nil {
		t.Fatal(err)
	}
	acct := testAccount(t, 1)
	in := testList(t, 3)
	in.KEM = acct.Public().KEMKey()
	got, err := IssueDeviceList(acct, in)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != kat.Record {
		t.Fatalf("format-2 device list differs from the independent generator's:\n got %x\nwant %s", got, kat.Record)
	}
	l, err := ParseDeviceList(got)
	if err != nil {
		t.Fatal(err)
	}
	if l.KEM == nil || !bytes.Equal(l.KEM.Bytes(), acct.Public().KEMKey().Bytes()) || l.Version != 3 || len(l.Devices) != 2 {
		t.Fatalf("parsed %+v", l)
	}
	// A format-1 list parses with no ML-KEM key.
	in.KEM = nil
	v1, err := IssueDeviceList(acct, in)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := ParseDeviceList(v1); err != nil || l.KEM != nil {
		t.Fatalf("format 1: %v, KEM %v", err, l.KEM)
	}
}

// TestDeviceListKEMRefused: a format-2 body with a malformed key, or a format-1
// number on a body with a key, is refused even under a good signature.
func TestDeviceListKEMRefused(t *testing.T) {
	acct := testAccount(t, 1)
	sign := func(body any) []byte {
		enc, err := certEnc.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		out, err := certEnc.Marshal(signedRecord{Body: enc, Sig: acct.Sign(deviceListLabel, enc)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	good := acct.Public().KEMKey().Bytes()
	short := good[:100]
	bad := bytes.Repeat([]byte{0xff}, len(good)) // coefficients out of range
	tests := []struct {
		name   string
		format uint8
		kem    []byte
	}{
		{"short key", 2, short},
		{"key not reduced", 2, bad},
		{"format 1 with a key", 1, good},
		{"format 3", 3, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := sign(deviceListBodyKEM{Format: tt.format, Account: acct.Public().Bytes(), Version: 1, IssuedAt: 1,
				Devices: []deviceEntry{}, Revoked: []ids.Device{}, KEM: tt.kem})
			if _, err := ParseDeviceList(rec); !errors.Is(err, ErrInvalidDeviceList) {
				t.Fatalf("got %v", err)
			}
		})
	}
	ok := sign(deviceListBodyKEM{Format: 2, Account: acct.Public().Bytes(), Version: 1, IssuedAt: 1,
		Devices: []deviceEntry{}, Revoked: []ids.Device{}, KEM: good})
	if _, err := ParseDeviceList(ok); err != nil {
		t.Fatalf("the same list with a good key: %v", err)
	}
}

func TestDeviceListRoundTrip(t *testing.T) {
	acct := testAccount(t, 1)
	in := testList(t, 7)
	b, err := IssueDeviceList(acct, in)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseDeviceList(b)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 7 || !l.IssuedAt.Equal(in.IssuedAt) || len(l.Devices) != 2 || len(l.Revoked) != 1 {
		t.Fatalf("round trip: %+v", l)
	}
	for i, d := range l.Devices {
		w := in.Devices[i]
		if !d.Key.Equal(w.Key) || d.Name != w.Name || d.Platform != w.Platform || !d.LinkedAt.Equal(w.LinkedAt) {
			t.Fatalf("device %d: %+v, want %+v", i, d, w)
		}
	}
	if _, ok := l.Device(testDevice(t, 0x23).ID()); !ok {
		t.Fatal("Device does not find a listed device")
	}
	if _, ok := l.Device(testDevice(t, 0x25).ID()); ok {
		t.Fatal("Device finds a revoked device")
	}
	if !l.IsRevoked(testDevice(t, 0x25).ID()) || l.IsRevoked(testDevice(t, 0x21).ID()) {
		t.Fatal("IsRevoked")
	}
}

// A relay (or anyone without the account key) cannot make a list the account's
// contacts accept: a list it signs itself names its own account, and a list whose
// body it edits no longer verifies.
func TestDeviceListForgery(t *testing.T) {
	victim := testAccount(t, 1)
	attacker := testAccount(t, 9)
	held, _ := ParseDeviceList(mustIssue(t, victim, testList(t, 2)))

	// The attack succeeds against a check that skips Supersedes' account test.
	forged := testList(t, 3)
	forged.Devices = append(forged.Devices, ListedDevice{Key: testDevice(t, 0x41).Public(), Name: "relay's", Platform: "linux"})
	fl, err := ParseDeviceList(mustIssue(t, attacker, forged))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fl.Device(testDevice(t, 0x41).ID()); !ok || fl.Version <= held.Version {
		t.Fatal("the forged list is not what the attack needs")
	}
	if err := held.Supersedes(fl); !errors.Is(err, ErrInvalidDeviceList) {
		t.Fatalf("a list signed by another account superseded the held one: %v", err)
	}

	// Editing the body of a genuine list (adding the relay's device) breaks the signature.
	genuine := mustIssue(t, victim, testList(t, 3))
	testutil.EachBitFlip(genuine, 0, len(genuine), func(b []byte, i, bit int) {
		l, err := ParseDeviceList(b)
		if err == nil && l.Account.Equal(victim.Public()) {
			t.Fatalf("the list with byte %d bit %d flipped verifies under the victim's key", i, bit)
		}
	})
}

func TestDeviceListSupersedes(t *testing.T) {
	acct := testAccount(t, 1)
	held, _ := ParseDeviceList(mustIssue(t, acct, testList(t, 5)))
	unrevoked := testList(t, 6)
	unrevoked.Revoked = nil
	unrevoked.Devices = append(unrevoked.Devices, ListedDevice{Key: testDevice(t, 0x25).Public(), Name: "back", Platform: "linux"})
	cases := []struct {
		name string
		next DeviceList
		want error
	}{
		{"newer", testList(t, 6), nil},
		{"much newer", testList(t, 60), nil},
		{"same version (replay or a fork)", testList(t, 5), ErrStaleDeviceList},
		{"older (replay)", testList(t, 4), ErrStaleDeviceList},
		{"un-revokes a device", unrevoked, ErrDeviceListRollback},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, err := ParseDeviceList(mustIssue(t, acct, c.next))
			if err != nil {
				t.Fatal(err)
			}
			if err := held.Supersedes(next); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Supersedes = %v, want %v", err, c.want)
			}
		})
	}
}

func TestDeviceListLimits(t *testing.T) {
	acct := testAccount(t, 1)
	many := func(n int) []ListedDevice {
		out := make([]ListedDevice, n)
		for i := range out {
			k, err := NewDeviceKey()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = ListedDevice{Key: k.Public(), Name: fmt.Sprint("device ", i), Platform: "linux"}
		}
		return out
	}
	dup := testList(t, 1)
	dup.Devices = append(dup.Devices, dup.Devices[0])
	listedAndRevoked := testList(t, 1)
	listedAndRevoked.Revoked = append(listedAndRevoked.Revoked, listedAndRevoked.Devices[0].ID())
	revokedTwice := testList(t, 1)
	revokedTwice.Revoked = append(revokedTwice.Revoked, revokedTwice.Revoked[0])
	longName := testList(t, 1)
	longName.Devices[0].Name = string(bytes.Repeat([]byte("x"), MaxDeviceNameSize+1))
	badUTF8 := testList(t, 1)
	badUTF8.Devices[0].Name = "\xff"
	cases := []struct {
		name string
		l    DeviceList
		ok   bool
	}{
		{"at the device limit", DeviceList{Version: 1, Devices: many(MaxListedDevices)}, true},
		{"over the device limit", DeviceList{Version: 1, Devices: many(MaxListedDevices + 1)}, false},
		{"version 0", testList(t, 0), false},
		{"a device twice", dup, false},
		{"listed and revoked", listedAndRevoked, false},
		{"revoked twice", revokedTwice, false},
		{"name too long", longName, false},
		{"name not UTF-8", badUTF8, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := IssueDeviceList(acct, c.l)
			if (err == nil) != c.ok {
				t.Fatalf("IssueDeviceList err = %v, want ok %v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidDeviceList) {
				t.Fatalf("error %v is not ErrInvalidDeviceList", err)
			}
		})
	}
	revoked := make([]ids.Device, MaxRevokedDevices)
	for i := range revoked {
		revoked[i][0], revoked[i][1] = byte(i), byte(i>>8)
	}
	b, err := IssueDeviceList(acct, DeviceList{Version: 1, Devices: many(MaxListedDevices), Revoked: revoked})
	if err != nil {
		t.Fatalf("the largest list: %v", err)
	}
	if _, err := ParseDeviceList(b); err != nil || len(b) > MaxDeviceListSize {
		t.Fatalf("the largest list (%d bytes) does not parse: %v", len(b), err)
	}
}

func TestDeviceListTruncations(t *testing.T) {
	b := mustIssue(t, testAccount(t, 1), testList(t, 2))
	for n := 0; n < len(b); n++ {
		if _, err := ParseDeviceList(b[:n]); !errors.Is(err, ErrInvalidDeviceList) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
	if _, err := ParseDeviceList(make([]byte, MaxDeviceListSize+1)); !errors.Is(err, ErrInvalidDeviceList) {
		t.Fatal("oversize list accepted")
	}
}

func FuzzParseDeviceList(f *testing.F) {
	f.Add(mustIssue(f, testAccount(f, 1), testList(f, 2)))
	withKEM := testList(f, 2)
	withKEM.KEM = testAccount(f, 1).Public().KEMKey()
	f.Add(mustIssue(f, testAccount(f, 1), withKEM))
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseDeviceList(data)
		if err != nil {
			return
		}
		// Anything accepted is a well-formed list that re-encodes to the same bytes
		// under the same signature: one list, one encoding.
		if l.Version == 0 || l.Account.IsZero() || len(l.Devices) > MaxListedDevices {
			t.Fatalf("accepted a malformed list: %+v", l)
		}
		for _, d := range l.Devices {
			if l.IsRevoked(d.ID()) {
				t.Fatal("accepted a list that both lists and revokes a device")
			}
		}
	})
}

func mustIssue(t testing.TB, k *AccountKey, l DeviceList) []byte {
	t.Helper()
	b, err := IssueDeviceList(k, l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
