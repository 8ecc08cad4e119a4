package relay

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// adminStore is what `hush-relay admin` needs of a store; both engines have it
// (relay/store/admin.go).
type adminStore interface {
	AccountByHandle(ctx context.Context, handle string) (store.Account, error)
	Accounts(ctx context.Context, fn func(store.AccountUsage) error) error
	SetDisabled(ctx context.Context, id ids.Account, at int64) error
	DeleteAccount(ctx context.Context, id ids.Account) (store.DeleteCounts, error)
	ExportAccount(ctx context.Context, id ids.Account) (store.AccountExport, error)
	Close() error
}

var _ adminStore = (*store.SQLite)(nil)

const adminUsage = `Usage: hush-relay admin [--db DB | --config FILE] COMMAND [ARGS]

Administers the relay's store directly (docs/RELAY.md, "Administration"). --db,
HUSH_RELAY_DB and the --config file name the store as for the relay itself.

Commands:
  accounts                   list every account: id, handle, devices, used bytes,
                             created, disabled
  disable ACCOUNT            refuse the account's devices from their next connection
  enable ACCOUNT             accept them again
  delete ACCOUNT             delete a disabled account and what the relay keeps
                             for it alone, its attachment files included
  export ACCOUNT --out FILE  write what the relay holds of the account, as JSON,
                             for its holder (FILE "-": standard output)

ACCOUNT is an account id (32 hex digits) or @handle.
`

// adminMain runs `hush-relay admin ARGS` and returns the exit code: 0 done, 1 a
// failure, 2 bad usage. The relay itself may be running on the same store:
// SQLite serialises the writers, PostgreSQL isolates them.
func adminMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hush-relay admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	set := defineFlags(fs) // every setting, so a --config file of the relay's reads as it is
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := applySettings(fs, os.LookupEnv); err != nil {
		fmt.Fprintf(stderr, "hush-relay admin: %v\n", err)
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	var out string
	cf := flag.NewFlagSet("hush-relay admin "+cmd, flag.ContinueOnError)
	cf.SetOutput(stderr)
	cf.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	if cmd == "export" {
		cf.StringVar(&out, "out", "", "`file` to write the export to; - for standard output")
	}
	// Flags may come before or after ACCOUNT (export ACCOUNT --out FILE).
	var operands []string
	for {
		if err := cf.Parse(rest); err != nil {
			return 2
		}
		if cf.NArg() == 0 {
			break
		}
		operands = append(operands, cf.Arg(0))
		rest = cf.Args()[1:]
	}
	want := 1
	switch cmd {
	case "accounts":
		want = 0
	case "disable", "enable", "delete", "export":
	case "":
		fmt.Fprint(stderr, adminUsage)
		return 2
	default:
		fmt.Fprintf(stderr, "hush-relay admin: unknown command %q\n", cmd)
		return 2
	}
	if len(operands) != want {
		fmt.Fprintf(stderr, "hush-relay admin %s: want %d argument(s), got %d\n", cmd, want, len(operands))
		return 2
	}
	if cmd == "export" && out == "" {
		fmt.Fprintln(stderr, "hush-relay admin export: --out FILE is required")
		return 2
	}
	log, err := newLogger(stderr, *set.logLevel, *set.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "hush-relay admin: %v\n", err)
		return 2
	}
	if err := checkBuiltIn(*set.db, ""); err != nil {
		fmt.Fprintf(stderr, "hush-relay admin: %v\n", err)
		return 2
	}
	if !isPostgres(*set.db) {
		// Opening creates a missing file; an administrator's typo must not.
		if _, err := os.Stat(*set.db); err != nil {
			fmt.Fprintf(stderr, "hush-relay admin: --db: %v\n", err)
			return 1
		}
	}
	st, shown, err := openStore(ctx, *set.db, log)
	if err != nil {
		fmt.Fprintf(stderr, "hush-relay admin: open %s: %v\n", shown, err)
		return 1
	}
	defer st.Close()
	as, ok := st.(adminStore)
	if !ok {
		fmt.Fprintf(stderr, "hush-relay admin: %s cannot be administered\n", shown)
		return 1
	}
	var blobs BlobStore
	if cmd == "delete" {
		bs, closeBlobs, err := OpenBlobStore(st, *set.db)
		if err != nil {
			fmt.Fprintf(stderr, "hush-relay admin: blob store: %v\n", err)
			return 1
		}
		defer closeBlobs()
		blobs = bs
	}
	if err := runAdmin(ctx, as, blobs, cmd, operands, out, stdout); err != nil {
		fmt.Fprintf(stderr, "hush-relay admin %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// runAdmin carries out one admin command on st; delete deletes the account's
// blobs from blobs as well.
func runAdmin(ctx context.Context, st adminStore, blobs BlobStore, cmd string, operands []string, out string, stdout io.Writer) error {
	if cmd == "accounts" {
		return listAccounts(ctx, st, stdout)
	}
	id, err := resolveAccount(ctx, st, operands[0])
	if err != nil {
		return err
	}
	switch cmd {
	case "disable", "enable":
		at := int64(0)
		if cmd == "disable" {
			at = wire.Millis(time.Now())
		}
		if err := st.SetDisabled(ctx, id, at); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		fmt.Fprintf(stdout, "account %s %sd\n", id, cmd)
	case "delete":
		return deleteAccount(ctx, st, blobs, id, stdout)
	case "export":
		e, err := st.ExportAccount(ctx, id)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		return writeExport(e, out, stdout)
	}
	return nil
}

// deleteAccount deletes a disabled account, then its blobs. An account deleted
// already (by a relay that left its blobs, or a run cut short between the two)
// has what blobs remain of it deleted.
func deleteAccount(ctx context.Context, st adminStore, blobs BlobStore, id ids.Account, stdout io.Writer) error {
	c, err := st.DeleteAccount(ctx, id)
	gone := errors.Is(err, store.ErrNotFound)
	if err != nil && !gone {
		return fmt.Errorf("%s: %w", id, err)
	}
	n, size, berr := blobs.DeleteOwner(ctx, id)
	if berr != nil {
		berr = fmt.Errorf("%s: delete its attachment files (run delete again): %w", id, berr)
	}
	switch {
	case gone && n == 0:
		return errors.Join(fmt.Errorf("%s: %w", id, err), berr)
	case gone:
		fmt.Fprintf(stdout, "account %s was deleted already; %d attachment files (%d bytes) it left deleted\n", id, n, size)
	default:
		fmt.Fprintf(stdout, "account %s deleted: %d devices, %d inbox items, %d account log records, %d chat memberships, %d prekeys, %d attachment files (%d bytes)\n",
			id, c.Devices, c.InboxItems, c.AccountLog, c.Memberships, c.Prekeys, n, size)
	}
	return berr
}

// resolveAccount reads an account id or an @handle.
func resolveAccount(ctx context.Context, st adminStore, s string) (ids.Account, error) {
	if strings.HasPrefix(s, "@") {
		h, err := wire.NormalizeHandle(s)
		if err != nil {
			return ids.Account{}, fmt.Errorf("%s: %w", s, err)
		}
		a, err := st.AccountByHandle(ctx, h)
		if err != nil {
			return ids.Account{}, fmt.Errorf("@%s: %w", h, err)
		}
		return a.ID, nil
	}
	id, err := ids.Parse[ids.Account](s)
	if err != nil {
		return ids.Account{}, fmt.Errorf("%q is neither an account id nor an @handle: %w", s, err)
	}
	return id, nil
}

func listAccounts(ctx context.Context, st adminStore, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tHANDLE\tDEVICES\tUSED BYTES\tCREATED\tDISABLED")
	err := st.Accounts(ctx, func(a store.AccountUsage) error {
		handle, disabled := "-", "-"
		if a.Handle != "" {
			handle = "@" + a.Handle
		}
		if a.DisabledAt != 0 {
			disabled = stamp(a.DisabledAt)
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", a.ID, handle, a.Devices, a.UsedBytes, stamp(a.CreatedAt), disabled)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// stamp prints Unix milliseconds as a UTC time.
func stamp(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

// writeExport writes e as indented JSON to the file out (created, never
// overwritten, readable by its owner only: it names the account's devices and
// chats) or to stdout for "-".
func writeExport(e store.AccountExport, out string, stdout io.Writer) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode export: %w", err)
	}
	b = append(b, '\n')
	if out == "-" {
		_, err := stdout.Write(b)
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}
