package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/vault/internal/field"
	"hush/vault/internal/keywrap"
	"hush/vault/internal/subkey"

	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultCalibrationTarget is how long one Argon2id derivation should take
// on the machine that creates (or upgrades) a vault, as KeePassXC does.
const DefaultCalibrationTarget = 500 * time.Millisecond

// KDFParams are the Argon2id cost parameters stored with a vault: Memory in
// KiB, Time in passes, Threads in lanes.
type KDFParams struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// MinKDFParams returns the floor no new key wrap goes below: 64 MiB,
// 3 passes, 4 lanes. A vault found below it is re-wrapped at unlock.
func MinKDFParams() KDFParams { return fromKeywrap(keywrap.Floor()) }

func (p KDFParams) keywrap() keywrap.Params {
	return keywrap.Params{Memory: p.Memory, Time: p.Time, Threads: p.Threads}
}

func fromKeywrap(p keywrap.Params) KDFParams {
	return KDFParams{Memory: p.Memory, Time: p.Time, Threads: p.Threads}
}

// Options tune Create and Open. The zero value is right for production.
type Options struct {
	// CalibrationTarget is how long one derivation should take when
	// parameters are chosen; zero means DefaultCalibrationTarget. The
	// result is never below MinKDFParams.
	CalibrationTarget time.Duration

	// Logger receives structured events (never secrets); nil discards them.
	Logger *slog.Logger

	// InsecureTestKDF is for tests only. When set, Create uses exactly
	// these parameters instead of calibrating, and Open treats them as the
	// floor, so tests of this and other packages do not spend seconds in
	// Argon2id. Create and Open refuse it outside a test binary
	// (testing.Testing), so production always enforces MinKDFParams.
	InsecureTestKDF *KDFParams
}

// kdfPolicy is the resolved choice of parameters for new wraps.
type kdfPolicy struct {
	target time.Duration
	fixed  *keywrap.Params
}

func (p kdfPolicy) floor() keywrap.Params {
	if p.fixed != nil {
		return *p.fixed
	}
	return keywrap.Floor()
}

func (p kdfPolicy) choose() keywrap.Params {
	if p.fixed != nil {
		return *p.fixed
	}
	return keywrap.Calibrate(p.target, keywrap.MeasureArgon2id)
}

func resolveOptions(o Options) (kdfPolicy, *slog.Logger, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pol := kdfPolicy{target: o.CalibrationTarget}
	if pol.target <= 0 {
		pol.target = DefaultCalibrationTarget
	}
	if o.InsecureTestKDF != nil {
		if !testing.Testing() {
			return kdfPolicy{}, nil, fmt.Errorf("%w: InsecureTestKDF is only allowed in tests", ErrInvalid)
		}
		p := o.InsecureTestKDF.keywrap()
		if err := p.Validate(); err != nil {
			return kdfPolicy{}, nil, fmt.Errorf("%w: InsecureTestKDF: %w", ErrInvalid, err)
		}
		pol.fixed = &p
	}
	return pol, log, nil
}

// Vault is an open, unlocked vault. Its methods are safe for concurrent
// use; transactions run one at a time.
type Vault struct {
	db     *sql.DB
	path   string
	id     vaultID
	log    *slog.Logger
	codec  codec
	policy kdfPolicy
	stmts  *stmtCache

	// mu is held shared by every transaction and exclusively by Close, so
	// keys are never wiped under a running transaction.
	mu     sync.RWMutex
	closed bool
	keys   *keySet

	paramsMu sync.Mutex
	params   keywrap.Params

	// changeMu serialises ChangePassphrase calls.
	changeMu sync.Mutex

	// watchMu guards watchers and orders their calls (watch.go).
	watchMu     sync.Mutex
	watchers    map[int]func([]Change)
	nextWatcher int
}

// keySet is the master key and its subkeys, held while the vault is open.
type keySet struct {
	master     subkey.Key
	field      subkey.Key
	lookup     subkey.Key
	blindIndex subkey.Key
	attachment subkey.Key
	graphIndex subkey.Key
	sealer     *field.Sealer
	graph      *subkey.Indexer
}

func newKeySet(master []byte, vid vaultID) (*keySet, error) {
	k := &keySet{}
	if len(master) != len(k.master) {
		return nil, fmt.Errorf("vault: master key is %d bytes", len(master))
	}
	copy(k.master[:], master)
	for _, d := range []struct {
		dst   *subkey.Key
		label string
	}{
		{&k.field, subkey.FieldLabel},
		{&k.lookup, subkey.LookupLabel},
		{&k.blindIndex, subkey.BlindIndexLabel},
		{&k.attachment, subkey.AttachmentLabel},
		{&k.graphIndex, subkey.GraphIndexLabel},
	} {
		key, err := subkey.Derive(master, vid[:], d.label)
		if err != nil {
			k.wipe()
			return nil, fmt.Errorf("vault: %w", err)
		}
		*d.dst = key
		clear(key[:])
	}
	sealer, err := field.NewSealer(k.field[:])
	if err != nil {
		k.wipe()
		return nil, fmt.Errorf("vault: %w", err)
	}
	k.sealer = sealer
	k.graph = subkey.NewIndexer(&k.graphIndex)
	return k, nil
}

// wipe zeroes every key this package owns. The AEAD inside the sealer and
// the HMAC inside the graph indexer keep their own copies, which Go cannot
// scrub; they become garbage with the sealer and the indexer.
func (k *keySet) wipe() {
	clear(k.master[:])
	clear(k.field[:])
	clear(k.lookup[:])
	clear(k.blindIndex[:])
	clear(k.attachment[:])
	clear(k.graphIndex[:])
	k.sealer = nil
	k.graph = nil
}

// keySlot is the keyslot table's one row.
type keySlot struct {
	vaultID vaultID
	params  keywrap.Params
	salt    []byte
	wrapped []byte
}

// sealSlot wraps master under a fresh salt and a KEK derived from
// passphrase with p.
func sealSlot(passphrase, master []byte, p keywrap.Params, vid vaultID) (keySlot, error) {
	salt := make([]byte, keywrap.SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return keySlot{}, fmt.Errorf("vault: salt: %w", err)
	}
	kek, err := keywrap.DeriveKEK(passphrase, salt, p)
	if err != nil {
		return keySlot{}, fmt.Errorf("vault: derive key: %w", err)
	}
	defer clear(kek)
	wrapped, err := keywrap.Wrap(rand.Reader, kek, master, p, salt, vid[:])
	if err != nil {
		return keySlot{}, fmt.Errorf("vault: wrap master key: %w", err)
	}
	return keySlot{vaultID: vid, params: p, salt: salt, wrapped: wrapped}, nil
}

// openSlot derives the KEK and unwraps the master key; the caller clears
// the result.
func openSlot(passphrase []byte, s keySlot) ([]byte, error) {
	kek, err := keywrap.DeriveKEK(passphrase, s.salt, s.params)
	if err != nil {
		return nil, fmt.Errorf("%w: key slot: %w", ErrCorrupt, err)
	}
	defer clear(kek)
	master, err := keywrap.Unwrap(kek, s.wrapped, s.params, s.salt, s.vaultID[:])
	switch {
	case errors.Is(err, keywrap.ErrUnwrap):
		return nil, ErrWrongPassphrase
	case err != nil:
		return nil, fmt.Errorf("%w: key slot: %w", ErrCorrupt, err)
	}
	return master, nil
}

type rowQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// readSlot reads and parses the key slot.
func readSlot(ctx context.Context, q rowQuerier) (keySlot, error) {
	var vid, params, salt, wrapped []byte
	err := q.QueryRowContext(ctx,
		`SELECT vault_id, kdf_params, salt, wrapped_key FROM keyslot WHERE slot = 1`).
		Scan(&vid, &params, &salt, &wrapped)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return keySlot{}, fmt.Errorf("%w: no key slot (was creation interrupted?)", ErrCorrupt)
	case sqliteCode(err) == sqlite3.SQLITE_ERROR:
		// Plain SQLITE_ERROR here is "no such table": a SQLite file with a
		// Hush header but no vault schema.
		return keySlot{}, fmt.Errorf("%w: key slot: %w", ErrCorrupt, err)
	case err != nil:
		return keySlot{}, fmt.Errorf("vault: read key slot: %w", classify(err))
	}
	s := keySlot{salt: salt, wrapped: wrapped}
	if len(vid) != len(s.vaultID) {
		return keySlot{}, fmt.Errorf("%w: key slot: vault id of %d bytes", ErrCorrupt, len(vid))
	}
	copy(s.vaultID[:], vid)
	if s.params, err = keywrap.DecodeParams(params); err != nil {
		return keySlot{}, fmt.Errorf("%w: key slot: %w", ErrCorrupt, err)
	}
	if len(salt) != keywrap.SaltSize {
		return keySlot{}, fmt.Errorf("%w: key slot: salt of %d bytes", ErrCorrupt, len(salt))
	}
	if _, _, err := keywrap.ParseWrapped(wrapped); err != nil {
		return keySlot{}, fmt.Errorf("%w: key slot: %w", ErrCorrupt, err)
	}
	return s, nil
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

func writeSlot(ctx context.Context, e execer, s keySlot, insert bool) error {
	q := `UPDATE keyslot SET kdf_params = ?2, salt = ?3, wrapped_key = ?4 WHERE slot = 1 AND vault_id = ?1`
	if insert {
		q = `INSERT INTO keyslot (slot, vault_id, kdf_params, salt, wrapped_key) VALUES (1, ?1, ?2, ?3, ?4)`
	}
	res, err := e.ExecContext(ctx, q, s.vaultID[:], keywrap.EncodeParams(s.params), s.salt, s.wrapped)
	if err != nil {
		return fmt.Errorf("vault: write key slot: %w", classify(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: key slot not written (%d rows, %v)", ErrCorrupt, n, err)
	}
	return nil
}

// Create makes a new vault at path, protected by passphrase, and returns it
// open. It fails with ErrExists if anything is already at path (or a stale
// -wal/-shm next to it). Parameters are calibrated (see Options), so Create
// takes about one CalibrationTarget plus one calibration pass.
//
// The caller keeps ownership of passphrase and should clear it.
func Create(ctx context.Context, path string, passphrase []byte, opts Options) (_ *Vault, err error) {
	pol, log, err := resolveOptions(opts)
	if err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	cdc := newCodec()
	for _, p := range vaultFiles(path)[1:] {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("vault: create %s: stale %s: %w", path, p, ErrExists)
		}
	}
	// O_EXCL makes "nothing there" and "now it is ours" one step; 0600
	// because SQLite gives -wal and -shm the main file's permissions.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("vault: create %s: %w", path, ErrExists)
		}
		return nil, fmt.Errorf("vault: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("vault: create %s: %w", path, err)
	}
	var db *sql.DB
	defer func() {
		if err != nil {
			if db != nil {
				db.Close()
			}
			for _, p := range vaultFiles(path) {
				os.Remove(p)
			}
		}
	}()

	params := pol.choose()
	master := make([]byte, keywrap.KeySize)
	defer clear(master)
	if _, err := rand.Read(master); err != nil {
		return nil, fmt.Errorf("vault: master key: %w", err)
	}
	var vid vaultID
	if _, err := rand.Read(vid[:]); err != nil {
		return nil, fmt.Errorf("vault: vault id: %w", err)
	}
	slot, err := sealSlot(passphrase, master, params, vid)
	if err != nil {
		return nil, err
	}

	if db, err = openDB(ctx, path, false); err != nil {
		return nil, err
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil || mode != "wal" {
		return nil, fmt.Errorf("vault: create %s: enable WAL (mode %q): %v", path, mode, err)
	}
	keys, err := newKeySet(master, vid)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			keys.wipe()
		}
	}()
	if _, _, err := migrate(ctx, db, ms, keys, cdc, log); err != nil {
		return nil, err
	}
	if err := writeSlot(ctx, db, slot, true); err != nil {
		return nil, err
	}
	// Checkpoint now so the main file's header (application id, WAL mode)
	// is complete even if the process dies before the first close.
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, fmt.Errorf("vault: create %s: checkpoint: %w", path, err)
	}
	log.Info("vault: created", "path", path, "schema", len(ms),
		"kdf_memory_kib", params.Memory, "kdf_time", params.Time, "kdf_threads", params.Threads)
	return &Vault{db: db, path: path, id: vid, log: log, codec: cdc, policy: pol, keys: keys, params: params, stmts: newStmtCache()}, nil
}

// Open unlocks the vault at path. Until the passphrase is verified nothing
// is written: the key slot is read through a read-only connection, so a
// wrong passphrase (ErrWrongPassphrase), a vault from a newer Hush
// (ErrVaultTooNew) or a damaged file (ErrCorrupt) leaves the main database
// file byte for byte as it was. After verification Open runs pending
// migrations and, if the stored KDF parameters are below the floor,
// re-wraps the master key under freshly calibrated ones.
//
// The caller keeps ownership of passphrase and should clear it.
func Open(ctx context.Context, path string, passphrase []byte, opts Options) (_ *Vault, err error) {
	pol, log, err := resolveOptions(opts)
	if err != nil {
		return nil, err
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	cdc := newCodec()
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	slot, err := inspect(ctx, path, len(ms))
	if err != nil {
		return nil, err
	}
	master, err := openSlot(passphrase, slot)
	if err != nil {
		return nil, err
	}
	defer clear(master)
	v, err := finishOpen(ctx, path, slot, master, ms, cdc, pol, log)
	if err != nil {
		return nil, err
	}
	if slot.params.Below(pol.floor()) {
		if err := v.upgradeParams(ctx, passphrase, master); err != nil {
			v.Close()
			return nil, err
		}
	}
	return v, nil
}

// inspect is the read-only first phase of Open: schema version and key
// slot. A read-only connection to a WAL database creates the -wal and -shm
// files and leaves them behind; inspect removes the ones it created (the
// -wal only while empty), so a failed unlock leaves the directory exactly
// as it found it.
func inspect(ctx context.Context, path string, known int) (keySlot, error) {
	var created []string
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			created = append(created, p)
		}
	}
	defer func() {
		for _, p := range created {
			if st, err := os.Stat(p); err == nil && (st.Size() == 0 || strings.HasSuffix(p, "-shm")) {
				os.Remove(p)
			}
		}
	}()
	db, err := openDB(ctx, path, true)
	if err != nil {
		return keySlot{}, err
	}
	defer db.Close()
	have, err := schemaVersion(ctx, db)
	if err != nil {
		return keySlot{}, err
	}
	if have == 0 {
		return keySlot{}, fmt.Errorf("%w: %s has no vault schema", ErrCorrupt, path)
	}
	if have > known {
		return keySlot{}, tooNew(have, known)
	}
	return readSlot(ctx, db)
}

// finishOpen is everything in Open after the passphrase is verified apart
// from a KDF upgrade: the read-write connection, migrations and subkeys.
// BenchmarkOpenWithoutKDF measures it.
func finishOpen(ctx context.Context, path string, slot keySlot, master []byte, ms []migration,
	cdc codec, pol kdfPolicy, log *slog.Logger) (_ *Vault, err error) {
	db, err := openDB(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	// The slot must still be the one we unlocked (the datadir lock keeps
	// other writers out; this catches a file swapped under us anyway).
	again, err := readSlot(ctx, db)
	if err != nil {
		return nil, err
	}
	if again.vaultID != slot.vaultID || !bytes.Equal(again.wrapped, slot.wrapped) {
		return nil, fmt.Errorf("vault: open %s: key slot changed while opening", path)
	}
	// The keys come before the migrations: a step that re-seals rows or
	// computes graph index tags needs them.
	keys, err := newKeySet(master, slot.vaultID)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			keys.wipe()
		}
	}()
	from, to, err := migrate(ctx, db, ms, keys, cdc, log)
	if err != nil {
		return nil, err
	}
	if to > from {
		// A migration may have rewritten rows whose old bytes (ids in clear)
		// the WAL still holds in frames written before its commit; copy the
		// new pages into the main file, where secure_delete zeroed the old
		// cells, and empty the WAL.
		var busy, frames, done int
		cerr := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done)
		if cerr != nil || busy != 0 {
			log.Warn("vault: checkpoint after migration incomplete", "busy", busy, "err", cerr)
		}
	}
	log.Info("vault: opened", "path", path, "schema_from", from, "schema", to)
	return &Vault{db: db, path: path, id: slot.vaultID, log: log, codec: cdc, policy: pol, keys: keys, params: slot.params, stmts: newStmtCache()}, nil
}

// upgradeParams re-wraps the master key under calibrated parameters ("the
// defaults rise"); passphrase has just been verified.
func (v *Vault) upgradeParams(ctx context.Context, passphrase, master []byte) error {
	old := v.KDFParams()
	p := v.policy.choose()
	slot, err := sealSlot(passphrase, master, p, v.id)
	if err != nil {
		return err
	}
	if err := writeSlot(ctx, v.db, slot, false); err != nil {
		return err
	}
	v.setParams(p)
	v.log.Info("vault: KDF parameters upgraded",
		"from_memory_kib", old.Memory, "from_time", old.Time, "from_threads", old.Threads,
		"memory_kib", p.Memory, "time", p.Time, "threads", p.Threads)
	return nil
}

// ID returns the vault's random id, stored in clear and bound into the key
// wrap and the subkeys.
func (v *Vault) ID() [16]byte { return v.id }

// KDFParams returns the parameters the master key is currently wrapped with.
func (v *Vault) KDFParams() KDFParams {
	v.paramsMu.Lock()
	defer v.paramsMu.Unlock()
	return fromKeywrap(v.params)
}

func (v *Vault) setParams(p keywrap.Params) {
	v.paramsMu.Lock()
	defer v.paramsMu.Unlock()
	v.params = p
}

// ChangePassphrase re-wraps the master key under next; no record is
// re-encrypted. current must unlock the vault (else ErrWrongPassphrase and
// nothing changes). Parameters stay as they are unless below the floor.
func (v *Vault) ChangePassphrase(ctx context.Context, current, next []byte) error {
	if len(next) == 0 {
		return fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	v.changeMu.Lock()
	defer v.changeMu.Unlock()
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return ErrClosed
	}
	slot, err := readSlot(ctx, v.db)
	if err != nil {
		return err
	}
	master, err := openSlot(current, slot)
	if err != nil {
		return err
	}
	defer clear(master)
	if subtle.ConstantTimeCompare(master, v.keys.master[:]) != 1 {
		return fmt.Errorf("%w: key slot does not hold this vault's master key", ErrCorrupt)
	}
	p := slot.params
	if p.Below(v.policy.floor()) {
		p = v.policy.choose()
	}
	newSlot, err := sealSlot(next, master, p, v.id)
	if err != nil {
		return err
	}
	if err := writeSlot(ctx, v.db, newSlot, false); err != nil {
		return err
	}
	v.setParams(p)
	v.log.Info("vault: passphrase changed")
	return nil
}

// Close locks the vault: it waits for running transactions, zeroes the keys,
// checkpoints the WAL into the main file and closes the database. Every
// later call on v returns ErrClosed.
func (v *Vault) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return ErrClosed
	}
	v.closed = true
	v.keys.wipe()
	v.keys = nil
	v.stmts.close()
	var errs []error
	if _, err := v.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint: %w", err))
	}
	if err := v.db.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vault: close %s: %w", v.path, err)
	}
	v.log.Info("vault: closed", "path", v.path)
	return nil
}

// ReleaseMemory hands back what SQLite caches for the vault's connection (its
// page cache, up to pageCacheKiB: PRAGMA shrink_memory). The app calls it once the
// burst of reads after an unlock is over, so that a window left open holds only
// what it uses; the next reads fill the cache again from the file, which the
// operating system keeps cached (docs/PERFORMANCE.md, "Desktop cold start and
// memory").
func (v *Vault) ReleaseMemory(ctx context.Context) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return ErrClosed
	}
	if _, err := v.db.ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
		return fmt.Errorf("vault: release memory: %w", classify(err))
	}
	return nil
}

// Update runs fn in one write transaction: if fn returns an error (or
// panics) nothing it wrote is kept, else everything is committed durably
// (synchronous=FULL). After a commit that deleted messages, chats,
// attachments, sessions or prekeys, the WAL is checkpointed and truncated
// so the deleted data is gone from the WAL too.
//
// fn must not call methods of v (the vault runs one transaction at a
// time, so that would deadlock), and tx must not be used after fn returns.
func (v *Vault) Update(ctx context.Context, fn func(*Tx) error) error {
	return v.run(ctx, true, fn)
}

// View runs fn in a read-only transaction, which sees one consistent
// snapshot. Writes inside it return ErrReadOnly. The same rules as for
// Update apply to fn.
func (v *Vault) View(ctx context.Context, fn func(*Tx) error) error {
	return v.run(ctx, false, fn)
}

func (v *Vault) run(ctx context.Context, writable bool, fn func(*Tx) error) (err error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return ErrClosed
	}
	v.stmts.prepareWanted(ctx, v.db)
	stx, err := v.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: !writable})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", classify(err))
	}
	tx := &Tx{ctx: ctx, sqlTx: stx, keys: v.keys, codec: v.codec, stmts: v.stmts, writable: writable}
	committed := false
	defer func() {
		tx.done = true
		if !committed {
			stx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := v.commitAndNotify(tx); err != nil {
		return fmt.Errorf("vault: commit: %w", classify(err))
	}
	committed = true
	if tx.wiped {
		v.checkpointAfterWipe(ctx)
	}
	return nil
}

// checkpointAfterWipe copies the WAL into the main file (where
// secure_delete has zeroed the freed cells) and truncates it, so deleted
// rows do not survive in old WAL frames. The delete itself has committed;
// a failed checkpoint is logged and the next wipe or Close retries it.
func (v *Vault) checkpointAfterWipe(ctx context.Context) {
	var busy, logFrames, done int
	err := v.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	if err != nil || busy != 0 {
		v.log.Warn("vault: checkpoint after wipe incomplete", "busy", busy, "err", err)
	}
}

// Check runs SQLite's quick_check over the whole file and returns
// ErrCorrupt if it finds damage. It reads every page, so it is for backups
// and diagnostics, not for every unlock.
func (v *Vault) Check(ctx context.Context) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return ErrClosed
	}
	rows, err := v.db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return fmt.Errorf("vault: check: %w", classify(err))
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("vault: check: %w", classify(err))
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("vault: check: %w", classify(err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: quick_check: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}
