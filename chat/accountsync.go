package chat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hush/accountlog"
	"hush/clock"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/sync/wire"
	"hush/vault"
)

// The account log (docs/SECURITY.md, "Account log"): what the user sets on one device
// and expects on all — pinned, archived and muted chats, drafts, contacts, verified
// marks, blocked accounts, the display name —
// travels as records sealed with a key every device of the account derives
// (package accountlog). Each device keeps, per kind and target, the newest record it
// holds (last writer wins), applies what it fetches or is pushed, and publishes what
// the user changes here; a change made offline is published at the next connection.

// accountStateSetting names the vault setting holding the newest record per kind
// and target; accountLogScope the cursor of the account log.
const (
	accountStateSetting = "account-log/state"
	accountLogScope     = "account-log"
)

// heldRecord is a record as the device holds it; Pending until the relay stored it.
type heldRecord struct {
	_       struct{} `cbor:",toarray"`
	Kind    accountlog.Kind
	Target  []byte
	Value   bool
	At      int64
	Device  []byte
	Pending bool
	Text    string
}

// heldRecordV1 is a held record as kept before records carried text.
type heldRecordV1 struct {
	_       struct{} `cbor:",toarray"`
	Kind    accountlog.Kind
	Target  []byte
	Value   bool
	At      int64
	Device  []byte
	Pending bool
}

var (
	stateEnc = strictcbor.EncMode()
	stateDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 100000, MaxMap: 16})
)

// maxHeldRecords bounds the shared state: one record per chat pin, contact, mark
// and block.
const maxHeldRecords = 100000

// accountSync is the engine part that keeps the account log.
type accountSync struct {
	v      *vault.Vault
	link   *link
	key    *accountlog.Key
	device ids.Device
	clk    clock.Clock
	log    *slog.Logger
	// apply makes a record from another device take effect here.
	apply func(ctx context.Context, r accountlog.Record) error

	mu sync.Mutex // serialises changes of the held state
}

type stateKey struct {
	kind   accountlog.Kind
	target [ids.Size]byte
}

func (a *accountSync) load(tx *vault.Tx) (map[stateKey]heldRecord, error) {
	b, err := tx.Setting(accountStateSetting)
	if errors.Is(err, vault.ErrNotFound) {
		return map[stateKey]heldRecord{}, nil
	}
	if err != nil {
		return nil, err
	}
	var list []heldRecord
	if err := stateDec.Unmarshal(b, &list); err != nil {
		var v1 []heldRecordV1
		if stateDec.Unmarshal(b, &v1) != nil {
			return nil, fmt.Errorf("account log state: %w", err)
		}
		for _, h := range v1 {
			list = append(list, heldRecord{Kind: h.Kind, Target: h.Target, Value: h.Value, At: h.At, Device: h.Device, Pending: h.Pending})
		}
	}
	out := make(map[stateKey]heldRecord, len(list))
	for _, h := range list {
		var k stateKey
		k.kind = h.Kind
		copy(k.target[:], h.Target)
		out[k] = h
	}
	return out, nil
}

func (a *accountSync) store(tx *vault.Tx, m map[stateKey]heldRecord) error {
	if len(m) > maxHeldRecords {
		return fmt.Errorf("account log state: %d records, the limit is %d", len(m), maxHeldRecords)
	}
	list := make([]heldRecord, 0, len(m))
	for _, h := range m {
		list = append(list, h)
	}
	b, err := stateEnc.Marshal(list)
	if err != nil {
		return err
	}
	return tx.PutSetting(accountStateSetting, b)
}

func toHeld(r accountlog.Record, pending bool) heldRecord {
	return heldRecord{Kind: r.Kind, Target: r.Target[:], Value: r.Value, Text: r.Text, At: r.At.UnixMilli(), Device: r.Device[:], Pending: pending}
}

func fromHeld(h heldRecord) accountlog.Record {
	r := accountlog.Record{Kind: h.Kind, Value: h.Value, Text: h.Text, At: time.UnixMilli(h.At).UTC()}
	copy(r.Target[:], h.Target)
	copy(r.Device[:], h.Device)
	return r
}

// publish records a change the user made here (r's kind, target, value and text;
// made now unless r says when) and sends it; offline, it goes out at the next
// connection (flush).
func (a *accountSync) publish(ctx context.Context, r accountlog.Record) {
	if err := a.keep(ctx, r); err != nil {
		a.log.Warn("account log: keep a change", "err", err)
		return
	}
	a.flush(ctx)
}

// keep holds a change the user made here as the newest of its kind and target,
// pending until flush sends it.
func (a *accountSync) keep(ctx context.Context, r accountlog.Record) error {
	if r.At.IsZero() {
		r.At = a.clk.Now()
	}
	r.Device = a.device
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.v.Update(ctx, func(tx *vault.Tx) error {
		m, err := a.load(tx)
		if err != nil {
			return err
		}
		m[stateKey{r.Kind, r.Target}] = toHeld(r, true)
		return a.store(tx, m)
	})
}

// flush sends the changes made here that the relay has not stored yet.
func (a *accountSync) flush(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var pending []heldRecord
	if err := a.v.View(ctx, func(tx *vault.Tx) error {
		m, err := a.load(tx)
		for _, h := range m {
			if h.Pending {
				pending = append(pending, h)
			}
		}
		return err
	}); err != nil {
		a.log.Warn("account log: read pending changes", "err", err)
		return
	}
	for _, h := range pending {
		var id ids.Record
		rand.Read(id[:])
		ct, err := a.key.Seal(id, fromHeld(h))
		if errors.Is(err, accountlog.ErrKeyMissing) {
			a.log.Info("account log: changes wait for the account's new key")
			return // sent once its seed has come (kemCourier)
		}
		if err != nil {
			a.log.Warn("account log: seal", "err", err)
			continue
		}
		if _, err := doAs[*wire.AccountAck](ctx, a.link, &wire.AccountAppend{RecordID: id, Ciphertext: ct}); err != nil {
			a.log.Info("account log: send a change", "err", err)
			return
		}
		err = a.v.Update(ctx, func(tx *vault.Tx) error {
			m, err := a.load(tx)
			if err != nil {
				return err
			}
			k := stateKey{kind: h.Kind}
			copy(k.target[:], h.Target)
			if cur, ok := m[k]; ok && cur.At == h.At && cur.Pending {
				cur.Pending = false
				m[k] = cur
			}
			return a.store(tx, m)
		})
		if err != nil {
			a.log.Warn("account log: mark a change sent", "err", err)
		}
	}
}

// catchUp fetches the records after the cursor and applies them, then sends what
// waits here.
func (a *accountSync) catchUp(ctx context.Context) {
	for {
		var cursor int64
		if err := a.v.View(ctx, func(tx *vault.Tx) error {
			var err error
			cursor, err = tx.Cursor(accountLogScope)
			return err
		}); err != nil {
			a.log.Warn("account log: cursor", "err", err)
			return
		}
		page, err := doAs[*wire.AccountPage](ctx, a.link, &wire.AccountFetch{AfterSeq: uint64(cursor), Limit: wire.MaxPageEntries})
		if err != nil {
			a.log.Info("account log: fetch", "err", err)
			return
		}
		for _, en := range page.Entries {
			a.receive(ctx, en)
		}
		if !page.More || len(page.Entries) == 0 {
			break
		}
	}
	a.flush(ctx)
}

// receive applies one record of the log, if it is newer than what is held, and
// moves the cursor past it. A record under an ML-KEM key this device does not hold
// yet waits (accountWaitingSetting) until the key's seed comes.
func (a *accountSync) receive(ctx context.Context, en wire.AccountEntry) {
	r, openErr := a.key.Open(en.RecordID, en.Ciphertext)
	waits := errors.Is(openErr, accountlog.ErrKeyMissing)
	if openErr != nil && !waits {
		// Not sealed with this account's key: the relay's, not the account's.
		a.log.Warn("account log: a record that does not open was ignored", "seq", en.Seq, "err", openErr)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var apply bool
	err2 := a.v.Update(ctx, func(tx *vault.Tx) error {
		apply = false
		if cur, err := tx.Cursor(accountLogScope); err != nil || uint64(cur) >= en.Seq {
			return err
		}
		if err := tx.SetCursor(accountLogScope, int64(en.Seq)); err != nil {
			return err
		}
		if waits {
			return a.keepWaiting(tx, en)
		}
		if openErr != nil {
			return nil // passed over, for good
		}
		var err error
		apply, err = a.take(tx, r)
		return err
	})
	if err2 != nil {
		a.log.Warn("account log: store a record", "err", err2)
		return
	}
	if apply {
		if err := a.apply(ctx, r); err != nil {
			a.log.Info("account log: apply a record", "kind", r.Kind, "err", err)
		}
	}
}

// take makes r the held record of its kind and target if it is newer than the one
// held, and reports whether it did.
func (a *accountSync) take(tx *vault.Tx, r accountlog.Record) (bool, error) {
	m, err := a.load(tx)
	if err != nil {
		return false, err
	}
	k := stateKey{r.Kind, r.Target}
	if held, ok := m[k]; ok && !r.Newer(fromHeld(held)) {
		return false, nil
	}
	m[k] = toHeld(r, false)
	return true, a.store(tx, m)
}

// accountWaitingSetting names the vault setting of the records that wait for an
// ML-KEM seed (CBOR array of wire.AccountEntry), at most maxWaitingRecords, the
// oldest dropped first.
const (
	accountWaitingSetting = "account-log/waiting"
	maxWaitingRecords     = 1024
)

func (a *accountSync) waiting(tx *vault.Tx) ([]wire.AccountEntry, error) {
	return settingList[wire.AccountEntry](tx, accountWaitingSetting)
}

func (a *accountSync) putWaiting(tx *vault.Tx, es []wire.AccountEntry) error {
	return putSettingList(tx, accountWaitingSetting, es)
}

func (a *accountSync) keepWaiting(tx *vault.Tx, en wire.AccountEntry) error {
	es, err := a.waiting(tx)
	if err != nil {
		return err
	}
	if len(es) >= maxWaitingRecords {
		a.log.Warn("account log: too many records wait for a key; the oldest is dropped")
		es = es[1:]
	}
	return a.putWaiting(tx, append(es, en))
}

// retryWaiting opens the records that waited for an ML-KEM seed, once new seeds
// came, applies those that open, and sends the changes made here meanwhile.
func (a *accountSync) retryWaiting(ctx context.Context) {
	a.mu.Lock()
	var applied []accountlog.Record
	err := a.v.Update(ctx, func(tx *vault.Tx) error {
		applied = nil
		es, err := a.waiting(tx)
		if err != nil || len(es) == 0 {
			return err
		}
		var still []wire.AccountEntry
		for _, en := range es {
			r, err := a.key.Open(en.RecordID, en.Ciphertext)
			switch {
			case errors.Is(err, accountlog.ErrKeyMissing):
				still = append(still, en)
			case err != nil:
				a.log.Warn("account log: a record that does not open was ignored", "seq", en.Seq, "err", err)
			default:
				ok, err := a.take(tx, r)
				if err != nil {
					return err
				}
				if ok {
					applied = append(applied, r)
				}
			}
		}
		return a.putWaiting(tx, still)
	})
	a.mu.Unlock()
	if err != nil {
		a.log.Warn("account log: records waiting", "err", err)
		return
	}
	for _, r := range applied {
		if err := a.apply(ctx, r); err != nil {
			a.log.Info("account log: apply a record", "kind", r.Kind, "err", err)
		}
	}
	a.flush(ctx)
}

// reapply applies the held state again, for what a record named before this device
// held it (a chat pinned before the new device had fetched it).
func (a *accountSync) reapply(ctx context.Context) {
	var held []heldRecord
	if err := a.v.View(ctx, func(tx *vault.Tx) error {
		m, err := a.load(tx)
		for _, h := range m {
			held = append(held, h)
		}
		return err
	}); err != nil {
		return
	}
	for _, h := range held {
		if err := a.apply(ctx, fromHeld(h)); err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Debug("account log: reapply", "kind", h.Kind, "err", err)
		}
	}
}

// fact is one piece of the shared state as this device holds it.
type fact struct {
	kind   accountlog.Kind
	target [ids.Size]byte
	text   string
}

// seed publishes what this device holds that the account log has no record of —
// contacts, verified marks, pinned chats and blocks made before the log carried
// them — so a device linked later receives them too. Facts that are off (not
// pinned, not blocked) need no record.
func (a *accountSync) seed(ctx context.Context, facts []fact) {
	if len(facts) == 0 {
		return
	}
	a.mu.Lock()
	added := 0
	err := a.v.Update(ctx, func(tx *vault.Tx) error {
		added = 0
		m, err := a.load(tx)
		if err != nil {
			return err
		}
		now := a.clk.Now()
		for _, f := range facts {
			k := stateKey{f.kind, f.target}
			if _, ok := m[k]; ok {
				continue
			}
			m[k] = toHeld(accountlog.Record{Kind: f.kind, Target: f.target, Value: true, Text: f.text, At: now, Device: a.device}, true)
			added++
		}
		if added == 0 {
			return nil
		}
		return a.store(tx, m)
	})
	a.mu.Unlock()
	if err != nil {
		a.log.Warn("account log: seed", "err", err)
		return
	}
	if added > 0 {
		a.log.Info("account log: published what this device held before", "records", added)
	}
}
