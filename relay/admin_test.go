package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
)

// admin runs `hush-relay admin ARGS` and returns its exit code and output.
func admin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = relay.Main(testCtx(t), append([]string{"admin"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// authErr authenticates d on a fresh connection and returns the relay's refusal,
// nil if it accepted.
func authErr(t *testing.T, r *relaytest.Relay, d *relaytest.Device) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Auth(ctx, d)
	return err
}

// TestAdminCommands runs every admin command on each engine, against the store of
// a running relay: list, export, disable (the relay then refuses the account's
// devices), enable, delete.
func TestAdminCommands(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, db string) { testAdminCommands(t, relaytest.Start(t, &o), db) })
}

func testAdminCommands(t *testing.T, r *relaytest.Relay, db string) {
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	relaytest.Dial(t, r, bob)
	request[*wire.OK](t, a, &wire.RegisterHandle{Handle: "alice", Signature: alice.Account.Sign(wire.HandleLabel, wire.HandleMessage(alice.AccountID(), "alice"))})
	request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("hi bob")})
	blob := uploadBlob(t, a, true, 0)
	a.Close()

	code, out, errOut := admin(t, "--db", db, "accounts")
	if code != 0 || !strings.Contains(out, alice.AccountID().String()) || !strings.Contains(out, "@alice") || !strings.Contains(out, bob.AccountID().String()) {
		t.Fatalf("accounts = %d\n%s%s", code, out, errOut)
	}

	file := filepath.Join(t.TempDir(), "alice.json")
	if code, out, errOut := admin(t, "--db", db, "export", "@Alice", "--out", file); code != 0 {
		t.Fatalf("export = %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ex store.AccountExport
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Account.ID != alice.AccountID() || len(ex.Devices) != 1 || ex.Devices[0].ID != alice.DeviceID() || ex.SentInbox.Count != 1 || ex.SentInbox.Bytes != int64(len("hi bob")) {
		t.Errorf("export = %s", raw)
	}
	if bytes.Contains(raw, []byte("hi bob")) {
		t.Error("the export holds a ciphertext")
	}
	if code, _, errOut := admin(t, "--db", db, "export", "@alice", "--out", file); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("export over an existing file = %d %s", code, errOut)
	}

	if code, _, errOut := admin(t, "--db", db, "delete", "@alice"); code != 1 || !strings.Contains(errOut, "disable it first") {
		t.Errorf("delete of an enabled account = %d %s", code, errOut)
	}
	if code, out, errOut := admin(t, "--db", db, "disable", alice.AccountID().String()); code != 0 {
		t.Fatalf("disable = %d\n%s%s", code, out, errOut)
	}
	var we *wire.Error
	if err := authErr(t, r, alice); !errors.As(err, &we) || we.Code != wire.CodeForbidden {
		t.Errorf("a disabled account's device authenticated: %v", err)
	}
	// A device of the account the relay has not seen yet is refused as well.
	if err := authErr(t, r, relaytest.Sibling(t, alice)); !errors.As(err, &we) || we.Code != wire.CodeForbidden {
		t.Errorf("a new device of a disabled account registered: %v", err)
	}
	if err := authErr(t, r, bob); err != nil {
		t.Errorf("bob refused: %v", err)
	}
	if code, _, _ := admin(t, "--db", db, "enable", "@alice"); code != 0 {
		t.Fatal("enable failed")
	}
	if err := authErr(t, r, alice); err != nil {
		t.Errorf("alice refused after enable: %v", err)
	}
	admin(t, "--db", db, "disable", "@alice")
	if code, out, errOut := admin(t, "--db", db, "delete", "@alice"); code != 0 || !strings.Contains(out, "deleted") ||
		!strings.Contains(out, fmt.Sprintf("1 attachment files (%d bytes)", wire.BlobChunkSize)) {
		t.Fatalf("delete = %d\n%s%s", code, out, errOut)
	}
	// Her files went with her, from the running relay too.
	requestErr(t, relaytest.Dial(t, r, bob), &wire.BlobGet{FileID: blob}, wire.CodeNotFound)
	if code, _, errOut := admin(t, "--db", db, "delete", alice.AccountID().String()); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("delete of a deleted account = %d %s", code, errOut)
	}
	if _, out, _ := admin(t, "--db", db, "accounts"); strings.Contains(out, alice.AccountID().String()) {
		t.Errorf("a deleted account is listed:\n%s", out)
	}
	if code, _, errOut := admin(t, "--db", db, "export", alice.AccountID().String(), "--out", "-"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("export of a deleted account = %d %s", code, errOut)
	}
}

func TestAdminUsage(t *testing.T) {
	db := relaytest.Start(t, nil).DBPath
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", []string{"--db", db}, 2, "Usage: hush-relay admin"},
		{"unknown command", []string{"--db", db, "purge"}, 2, `unknown command "purge"`},
		{"missing account", []string{"--db", db, "disable"}, 2, "want 1 argument"},
		{"extra argument", []string{"--db", db, "accounts", "x"}, 2, "want 0 argument"},
		{"export without --out", []string{"--db", db, "export", "@alice"}, 2, "--out FILE is required"},
		{"not an account", []string{"--db", db, "disable", "alice"}, 1, "neither an account id nor an @handle"},
		{"unknown handle", []string{"--db", db, "disable", "@nobody"}, 1, "not found"},
		{"unknown id", []string{"--db", db, "disable", ids.New[ids.Account]().String()}, 1, "not found"},
		{"no such database", []string{"--db", filepath.Join(t.TempDir(), "none.db"), "accounts"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := admin(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("admin %v = %d %q, want %d mentioning %q", tt.args, code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestDisableCutsConnections: an account disabled while its device is connected
// (by the admin command, another process) is cut off at the relay's next poll.
func TestDisableCutsConnections(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, db string) {
		clk := fakeClock()
		o.Clock = clk
		r := relaytest.Start(t, &o)
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a := relaytest.Dial(t, r, alice)
		b := relaytest.Dial(t, r, bob)
		if code, out, errOut := admin(t, "--db", db, "disable", alice.AccountID().String()); code != 0 {
			t.Fatalf("disable = %d\n%s%s", code, out, errOut)
		}
		clk.Advance(relay.DisabledPoll)
		if e := nextPush[*wire.Error](t, a); e.Code != wire.CodeForbidden {
			t.Errorf("pushed %v, want CodeForbidden", e)
		}
		select {
		case <-a.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the disabled account's connection stays open")
		}
		// Another account's connection is left alone.
		request[*wire.OK](t, b, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("note to self")})
	})
}

// adminDelete disables and deletes an account with the admin command, as its
// operator would.
func adminDelete(t *testing.T, db string, id ids.Account) {
	t.Helper()
	for _, cmd := range []string{"disable", "delete"} {
		if code, out, errOut := admin(t, "--db", db, cmd, id.String()); code != 0 {
			t.Fatalf("%s = %d\n%s%s", cmd, code, out, errOut)
		}
	}
}

// TestDeleteGivesQuotaBack: on a single relay, whose commit loop keeps the
// quotas it checks in memory, an account deleted by the admin command (another
// process) gives the bytes of the undelivered items sent to it back to their
// sender within DisabledPoll: the sender, refused at its quota before, may write
// again.
func TestDeleteGivesQuotaBack(t *testing.T) {
	clk := fakeClock()
	r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{QuotaBytes: 1000}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	relaytest.Dial(t, r, bob).Close()
	request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: make([]byte, 1000)})
	requestErr(t, a, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: make([]byte, 10)}, wire.CodeQuotaExceeded)

	adminDelete(t, r.DBPath, bob.AccountID())
	if u := request[*wire.Usage](t, a, &wire.GetUsage{}); u.UsedBytes != 0 {
		t.Fatalf("alice's stored count after bob's deletion: %d bytes, want 0", u.UsedBytes)
	}
	clk.Advance(relay.DisabledPoll)
	testutil.Eventually(t, 10*time.Second, "alice's quota given back to her writes", func() bool {
		_, err := a.Request(testCtx(t), &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: make([]byte, 10)})
		return err == nil
	})
}

// TestDeletedAccountComesBackWithoutItsChats: on a single relay, whose commit
// loop caches chats with their members, an account deleted by the admin command
// whose device then registers it again (same keys, same id) is a member of none of
// its old chats: its messages there are refused, not stored.
func TestDeletedAccountComesBackWithoutItsChats(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindGroup, alice, bob)
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("before")})
	a.Close()
	adminDelete(t, r.DBPath, alice.AccountID())
	ctx := testCtx(t)
	again, err := relaytest.DialRaw(ctx, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if ok, err := again.Auth(ctx, alice); err != nil || !ok.NewAccount {
		t.Fatalf("the deleted account's device registers again: %+v, %v; want a new account", ok, err)
	}
	requestErr(t, again, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("after")}, wire.CodeNotFound)
	if p := request[*wire.Page](t, b, &wire.Fetch{ChatID: chat}); len(p.Entries) != 1 {
		t.Errorf("the chat holds %d messages, want only the one from before", len(p.Entries))
	}
}
