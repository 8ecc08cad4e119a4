package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"unicode/utf8"

	"golang.org/x/term"

	"hush/app"
	"hush/backup"
	"hush/backup/vaultbackup"
	"hush/datadir"
	"hush/vault"
)

const backupUsage = `Usage:
  hush backup export --out FILE [options]   write a backup of this device's vault to FILE,
                                            with the attachment files on this device
  hush backup import FILE [options]         merge FILE into the vault, or restore it
                                            when there is no vault yet

Options:
  --data-dir DIR                 the data directory (as for hush itself)
  --passphrase-file F            read the backup passphrase from the first line of F
  --vault-passphrase-file F      read the vault passphrase from the first line of F
                                 (for a restore: the new vault's passphrase)
  --no-files                     export: leave the attachment files out (the backup
                                 keeps their keys; the relay may still have them)
Without a file, each passphrase is asked for on the terminal, without echo.
Secret chats are never in a backup. docs/BACKUP-FORMAT.md describes the file.
`

// backupEnv is what the backup commands take from their surroundings; tests give
// cheap key derivations (allowed only in a test binary) and files for passphrases.
type backupEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	vault          vault.Options
	backup         backup.Options
}

// runBackup runs "hush backup ...".
func runBackup(args []string, env backupEnv) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(env.stdout, backupUsage)
		return 0
	}
	sub, rest := args[0], args[1:]
	fl := flag.NewFlagSet("hush backup "+sub, flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	dataDir := fl.String("data-dir", "", "")
	passFile := fl.String("passphrase-file", "", "")
	vaultPassFile := fl.String("vault-passphrase-file", "", "")
	out := fl.String("out", "", "")
	noFiles := fl.Bool("no-files", false, "")
	// Flags may come before or after the file name.
	var files []string
	for {
		if err := fl.Parse(rest); err != nil {
			fmt.Fprintf(env.stderr, "hush backup: %v\n\n%s", err, backupUsage)
			return 2
		}
		if fl.NArg() == 0 {
			break
		}
		files = append(files, fl.Arg(0))
		rest = fl.Args()[1:]
	}
	switch {
	case sub == "export" && (*out == "" || len(files) != 0):
		fmt.Fprintf(env.stderr, "hush backup export: name the file with --out FILE\n\n%s", backupUsage)
		return 2
	case sub == "import" && (len(files) != 1 || *out != "" || *noFiles):
		fmt.Fprintf(env.stderr, "hush backup import: name one backup file\n\n%s", backupUsage)
		return 2
	case sub != "export" && sub != "import":
		fmt.Fprintf(env.stderr, "hush backup: unknown command %q\n\n%s", sub, backupUsage)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.stderr, "hush: %v\n", err)
		return 1
	}
	dir, err := datadir.Resolve(*dataDir, exe)
	if err != nil {
		fmt.Fprintf(env.stderr, "hush: %v\n", err)
		return 1
	}
	// The vault has one writer: a running Hush must be closed first.
	lock, err := datadir.Acquire(dir.Path)
	if err != nil {
		fmt.Fprintf(env.stderr, "hush: %v\n", err)
		return 1
	}
	defer lock.Release()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := backupCmd{env: env, passFile: *passFile, vaultPassFile: *vaultPassFile, vaultPath: dir.VaultPath(),
		filesDir: app.AttachmentsDir(dir.Path), noFiles: *noFiles}
	if sub == "export" {
		err = c.export(ctx, *out)
	} else {
		err = c.importFile(ctx, files[0])
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "hush: %s\n", app.BackupErrorText(err))
		return 1
	}
	return 0
}

type backupCmd struct {
	env                     backupEnv
	passFile, vaultPassFile string
	vaultPath               string
	filesDir                string // the attachments folder
	noFiles                 bool   // export without the files
}

func (c backupCmd) export(ctx context.Context, out string) error {
	if _, err := os.Stat(c.vaultPath); err != nil {
		return fmt.Errorf("export backup: %w", vaultbackup.ErrNoAccount)
	}
	vpass, err := c.passphrase(c.vaultPassFile, "Vault passphrase: ", false)
	if err != nil {
		return err
	}
	v, err := vault.Open(ctx, c.vaultPath, vpass, c.vaultOptions())
	clear(vpass)
	if err != nil {
		return fmt.Errorf("open vault: %w", err)
	}
	defer v.Close()
	bpass, err := c.passphrase(c.passFile, "Backup passphrase: ", true)
	if err != nil {
		return err
	}
	opts := vaultbackup.ExportOptions{App: "hush " + version, Backup: c.env.backup}
	if !c.noFiles {
		opts.FilesFrom = c.filesDir
	}
	m, err := vaultbackup.ExportFile(ctx, v, out, string(bpass), opts)
	clear(bpass)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "Backed up %s to %s. %sSecret chats are not included.\n", app.BackupCountsText(m.Counts), out, app.BackupFilesText(m.Counts))
	return nil
}

func (c backupCmd) importFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import backup: %w", err)
	}
	defer f.Close()
	_, err = os.Stat(c.vaultPath)
	restore := errors.Is(err, os.ErrNotExist)
	prompt := "Vault passphrase: "
	if restore {
		prompt = "New vault passphrase: "
	}
	vpass, err := c.passphrase(c.vaultPassFile, prompt, restore)
	if err != nil {
		return err
	}
	defer clear(vpass)
	var v *vault.Vault
	if !restore {
		if v, err = vault.Open(ctx, c.vaultPath, vpass, c.vaultOptions()); err != nil {
			return fmt.Errorf("open vault: %w", err)
		}
		defer v.Close()
	}
	bpass, err := c.passphrase(c.passFile, "Backup passphrase: ", false)
	if err != nil {
		return err
	}
	defer clear(bpass)
	var res vaultbackup.Result
	if restore {
		v, res, err = vaultbackup.Restore(ctx, c.vaultPath, vpass, c.vaultOptions(), f, string(bpass), vaultbackup.ImportOptions{FilesTo: c.filesDir})
		if err != nil {
			return err
		}
		defer v.Close()
		fmt.Fprintf(c.env.stdout, "Restored %s from %s into a new vault.\n", app.BackupCountsText(res.Added), path)
		return nil
	}
	if res, err = vaultbackup.Import(ctx, v, f, string(bpass), vaultbackup.ImportOptions{FilesTo: c.filesDir}); err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "Imported %s from %s: %s new.\n", app.BackupCountsText(res.Manifest.Counts), path, app.BackupCountsText(res.Added))
	return nil
}

func (c backupCmd) vaultOptions() vault.Options {
	o := c.env.vault
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// maxPassphraseFile bounds what is read of a passphrase file.
const maxPassphraseFile = 4096

// passphrase reads a passphrase from file's first line, or asks for it on the
// terminal without echo (twice when confirm is set: a new passphrase).
func (c backupCmd) passphrase(file, prompt string, confirm bool) ([]byte, error) {
	if file != "" {
		b, err := readFirstLine(file)
		if err != nil {
			return nil, err
		}
		return b, checkNewPassphrase(b, confirm)
	}
	fd := int(os.Stdin.Fd())
	if c.env.stdin != os.Stdin || !term.IsTerminal(fd) {
		return nil, errors.New("no terminal to ask for a passphrase on: use --passphrase-file and --vault-passphrase-file")
	}
	ask := func(p string) ([]byte, error) {
		fmt.Fprint(c.env.stderr, p)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(c.env.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return b, nil
	}
	b, err := ask(prompt)
	if err != nil || !confirm {
		return b, err
	}
	if err := checkNewPassphrase(b, true); err != nil {
		return nil, err
	}
	again, err := ask("Again: ")
	if err != nil {
		return nil, err
	}
	defer clear(again)
	if !bytes.Equal(b, again) {
		return nil, errors.New("the passphrases differ")
	}
	return b, nil
}

func readFirstLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, maxPassphraseFile)).ReadBytes('\n')
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("passphrase file %s: the first line is empty", path)
	}
	return line, nil
}

// checkNewPassphrase holds a passphrase being chosen to the floor the UI holds it
// to (app.MinPassphraseLength).
func checkNewPassphrase(p []byte, isNew bool) error {
	if isNew && utf8.RuneCount(p) < app.MinPassphraseLength {
		return fmt.Errorf("the passphrase is too short: use at least %d characters", app.MinPassphraseLength)
	}
	return nil
}
