package vaultbackup

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hush/backup"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

const (
	vaultPass  = "vault passphrase, long enough"
	backupPass = "a different backup passphrase"
	// secretBody is the text of the secret chat's message: it must appear in no
	// backup.
	secretBody = "SECRET-CHAT-TEXT-4f1c"
)

func vaultOptions() vault.Options {
	return vault.Options{InsecureTestKDF: &vault.KDFParams{Memory: 64, Time: 1, Threads: 1}}
}

func exportOptions() ExportOptions {
	return ExportOptions{App: "hush test", Backup: backup.Options{InsecureWorkFactor: 2}}
}

func newVault(t testing.TB, dir string) (*vault.Vault, string) {
	t.Helper()
	path := filepath.Join(dir, "vault.db")
	v, err := vault.Create(t.Context(), path, []byte(vaultPass), vaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, path
}

func at(n int) time.Time { return time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC) }

// fixture is what populate stored.
type fixture struct {
	account ids.Account
	device  ids.Device
	chats   []ids.Chat // cloud chats: direct, group, channel
	secret  ids.Chat
}

// populate fills v with something of every kind a backup holds, and a secret
// chat with everything of its own that a backup must leave out.
func populate(t testing.TB, v *vault.Vault, messagesPerChat int) fixture {
	t.Helper()
	f := fixture{account: ids.New[ids.Account](), device: ids.New[ids.Device](), secret: ids.New[ids.Chat]()}
	bob, carol := ids.New[ids.Account](), ids.New[ids.Account]()
	err := v.Update(t.Context(), func(tx *vault.Tx) error {
		steps := []error{
			tx.PutAccount(vault.Account{ID: f.account, DisplayName: "Alice", Handle: "alice", SigningSeed: []byte("sign-seed"),
				EncryptionKey: []byte("enc-key"), KEMSeed: []byte("kem-seed"), OtherKEMSeeds: [][]byte{[]byte("older-seed")}, CreatedAt: at(1)}),
			tx.PutDevice(vault.Device{ID: f.device, AccountID: f.account, Name: "laptop", SigningPublic: []byte("sp"),
				EncryptionPublic: []byte("ep"), SigningSeed: []byte("dev-seed"), EncryptionKey: []byte("dev-enc"),
				Certificate: []byte("cert"), Own: true, CreatedAt: at(2)}),
			tx.PutDevice(vault.Device{ID: ids.New[ids.Device](), AccountID: f.account, Name: "phone", SigningPublic: []byte("sp2"),
				Certificate: []byte("cert2"), Revoked: true}),
			tx.PutContact(vault.Contact{AccountID: bob, Handle: "bob", DisplayName: "Bob", SigningKey: []byte("bk"), PinnedAt: at(3), Verified: true}),
			tx.PutContact(vault.Contact{AccountID: carol, DisplayName: "Carol", SigningKey: []byte("ck"), Stranger: true}),
			tx.PutDevice(vault.Device{ID: ids.New[ids.Device](), AccountID: bob, Name: "bob's", SigningPublic: []byte("bsp")}),
			tx.PutSetting("preferences", []byte("prefs")),
			tx.PutSetting("devices/list/"+f.account.String(), []byte("list")),
			tx.PutSetting(secretSettingPrefix+"prekeys", []byte("secret prekey state")),
			tx.PutSession(ids.New[ids.Device](), []byte("ratchet state")),
			tx.PutPrekey(ids.New[ids.Prekey](), []byte("prekey private")),
			tx.SetCursor("account-log", 12),
		}
		if err := errors.Join(steps...); err != nil {
			return err
		}
		kinds := []policy.ChatKind{policy.KindDirect, policy.KindGroup, policy.KindChannel, policy.KindSecret}
		for i, k := range kinds {
			id := ids.New[ids.Chat]()
			if k == policy.KindSecret {
				id = f.secret
			} else {
				f.chats = append(f.chats, id)
			}
			members := []vault.Member{{AccountID: f.account, Role: policy.RoleOwner}, {AccountID: bob, Role: policy.RoleMember}}
			body := fmt.Sprintf("%s message", k)
			if k == policy.KindSecret {
				body = secretBody
			}
			steps := []error{
				tx.PutChat(vault.Chat{ID: id, Kind: k, Title: k.String(), Members: members, LastActivity: at(10 + i), Pinned: i == 1, Unread: i}),
				tx.PutEpochKey(id, 0, []byte("epoch 0 key")),
				tx.PutEpochKey(id, 1, []byte("epoch 1 key")),
				tx.PutLogRecord(id, 0, []byte("log 0")),
				tx.PutLogRecord(id, 1, []byte("log 1")),
				tx.PutDraft(id, "draft of "+k.String()),
				tx.SetCursor(chatCursorPrefix+id.String(), int64(messagesPerChat)),
			}
			if err := errors.Join(steps...); err != nil {
				return err
			}
			var prev *ids.Message
			for n := range messagesPerChat {
				m := vault.Message{ID: ids.New[ids.Message](), ChatID: id, Seq: int64(n + 1), SenderAccount: f.account,
					SenderDevice: f.device, SentAt: at(100 + n), Body: fmt.Sprintf("%s %d", body, n), Status: policy.StatusRead,
					ReplyTo: prev, Extra: []byte{byte(n)}}
				if n == messagesPerChat-1 {
					m.Seq, m.Status = 0, policy.StatusPending
				}
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
				if n == 0 { // one file each: the secret chat's must stay out
					if err := tx.PutAttachment(vault.Attachment{ID: ids.New[ids.File](), MessageID: m.ID, FileKey: bytes.Repeat([]byte{byte(i + 1)}, 32),
						Name: body + ".jpg", MIME: "image/jpeg", Size: int64(1000 * (i + 1)), Thumbnail: []byte{0xff, 0xd8, byte(i)}}); err != nil {
						return err
					}
				}
				prev = &m.ID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("populate: %v", err)
	}
	return f
}

// dump lists everything of v a backup may hold, one line a row, sorted, so two
// vaults compare row for row.
func dump(t testing.TB, v *vault.Vault) []string {
	t.Helper()
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	err := v.View(t.Context(), func(tx *vault.Tx) error {
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		contacts, err := tx.Contacts()
		if err != nil {
			return err
		}
		owners := []ids.Account{}
		for _, a := range accounts {
			add("account %+v", a)
			owners = append(owners, a.ID)
		}
		for _, c := range contacts {
			add("contact %+v", c)
			owners = append(owners, c.AccountID)
		}
		for _, o := range owners {
			ds, err := tx.DevicesOf(o)
			if err != nil {
				return err
			}
			for _, d := range ds {
				add("device %+v", d)
			}
		}
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, c := range chats {
			add("chat %+v", c)
			if err := tx.EachEpochKey(c.ID, func(e uint64, k []byte) error { add("epoch %s %d %q", c.ID, e, k); return nil }); err != nil {
				return err
			}
			if err := eachLogRecord(tx, c.ID, func(r vault.LogRecord) error { add("log %s %d %q", c.ID, r.Seq, r.Record); return nil }); err != nil {
				return err
			}
			if d, err := tx.Draft(c.ID); err == nil {
				add("draft %s %q", c.ID, d)
			}
		}
		if err := tx.EachMessage(func(m vault.Message, expires time.Time) error {
			reply := ""
			if m.ReplyTo != nil {
				reply = m.ReplyTo.String()
			}
			m.ReplyTo = nil
			add("message %+v reply %s expires %v", m, reply, expires)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.EachSetting(func(n string, val []byte) error { add("setting %s %q", n, val); return nil }); err != nil {
			return err
		}
		if err := tx.EachAttachment(func(a vault.Attachment) error { add("attachment %+v", a); return nil }); err != nil {
			return err
		}
		return tx.EachCursor(func(s string, n int64) error { add("cursor %s %d", s, n); return nil })
	})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	slices.Sort(out)
	return out
}

// withoutSecret drops the secret chat's lines from a dump: what a backup of it
// restores.
func withoutSecret(lines []string, f fixture) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, f.secret.String()) || strings.Contains(l, secretSettingPrefix) || strings.Contains(l, secretBody) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// readBackupFile reads the backup at path to its end: it must open with
// backupPass and check out whole.
func readBackupFile(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := backup.NewReader(f, backupPass)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := r.Next(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("%s does not read back: %v", path, err)
		}
	}
}

func fileHash(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return sha256.Sum256([]byte("absent"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func diff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
