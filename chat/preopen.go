package chat

import (
	"context"
	"errors"
	"maps"
	"math"
	"runtime"
	"sync"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/sync/wire"
	"hush/vault"
)

// Opening a page before its transaction. Verifying a message's signature is most of
// what receiving costs (docs/PERFORMANCE.md, "First sync"), and the transaction that
// stores a page runs on one goroutine; so the entries of a page are opened first, on
// every core, with the keys the vault holds then. The transaction still runs every
// check in order and uses an early result only when it reads the very keys that
// result was opened with; otherwise it opens the entry itself. An early result
// therefore never decides anything the transaction would decide differently.

// minPreopen is the smallest page worth opening on several cores: below it the
// goroutines cost more than they save (a live push is usually one entry).
const minPreopen = 8

// preopened is what opening a page early produced, by entry.
type preopened map[*wire.Entry]earlyOpen

// earlyOpen is one entry opened early, with the keys it was opened with.
type earlyOpen struct {
	key    chatcrypto.EpochKey
	sender identity.AccountPublicKey
	pt     chatcrypto.Plaintext
	err    error
}

// result returns the early result for en if it was opened with key and sender.
func (p preopened) result(en *wire.Entry, key chatcrypto.EpochKey, sender identity.AccountPublicKey) (chatcrypto.Plaintext, error, bool) {
	e, ok := p[en]
	if !ok || !e.key.Equal(key) || !e.sender.Equal(sender) {
		return chatcrypto.Plaintext{}, nil, false
	}
	return e.pt, e.err, true
}

// preopen opens the entries of one chat page on every core, with the epoch keys and
// sender keys the vault holds now, skipping those done holds already. Entries it
// cannot open yet (a key missing, a sender not pinned) are left to the transaction,
// or to a second call once prepare fetched what they need. It never fails: whatever
// goes wrong here, the transaction does again and reports.
func (r *receiver) preopen(ctx context.Context, id ids.Chat, entries []wire.Entry, done preopened) preopened {
	workers := runtime.GOMAXPROCS(0)
	if len(entries)-len(done) < minPreopen || workers < 2 {
		return done
	}
	type job struct {
		en     *wire.Entry
		key    chatcrypto.EpochKey
		sender identity.AccountPublicKey
	}
	var jobs []job
	err := r.v.View(ctx, func(tx *vault.Tx) error {
		jobs = jobs[:0]
		keys := map[uint64]chatcrypto.EpochKey{}
		senders := map[ids.Account]identity.AccountPublicKey{}
		for i := range entries {
			en := &entries[i]
			if _, ok := done[en]; ok || en.Epoch > math.MaxInt64 {
				continue
			}
			key, ok := keys[en.Epoch]
			if !ok {
				raw, err := tx.EpochKey(id, en.Epoch)
				if errors.Is(err, vault.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				key, err = chatcrypto.EpochKeyFromBytes(raw)
				clear(raw)
				if err != nil {
					return err
				}
				keys[en.Epoch] = key
			}
			sender, ok := senders[en.SenderAccount]
			if !ok {
				var err error
				sender, err = r.dir.accountKey(tx, en.SenderAccount)
				if errors.Is(err, vault.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				senders[en.SenderAccount] = sender
			}
			jobs = append(jobs, job{en: en, key: key, sender: sender})
		}
		return nil
	})
	if err != nil || len(jobs) < minPreopen {
		return done
	}
	results := make([]earlyOpen, len(jobs))
	var wg sync.WaitGroup
	for w := range min(workers, len(jobs)) {
		wg.Go(func() {
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				pt, err := chatcrypto.Open(j.en.Ciphertext, chatcrypto.OpenParams{
					ChatID:    id,
					Epoch:     j.en.Epoch,
					EpochKey:  j.key,
					MessageID: j.en.MsgID,
					Sender:    j.sender,
					Certs:     r.certs,
				})
				results[i] = earlyOpen{key: j.key, sender: j.sender, pt: pt, err: err}
			}
		})
	}
	wg.Wait()
	out := make(preopened, len(done)+len(jobs))
	maps.Copy(out, done)
	for i, j := range jobs {
		out[j.en] = results[i]
	}
	r.early.Add(int64(len(jobs)))
	return out
}
