package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

// BenchmarkCommitLatency replays the relay's commit loop without the network: 1 KiB
// messages arrive at a fixed 10 000 per second (open loop) in 10 direct chats, and a
// single writer commits whatever has arrived in one durable transaction, as
// relay.writer does, with the same statements (insert, usage update). It reports the
// latency from each message's arrival to the end of its commit — the part of the
// relay's ack latency that the store and the disk decide, checkpoints included —
// and the WAL frames (pages) each commit appends.
//
// Its variants are the message ids and the index that makes resends idempotent:
// "ordered" is today's (time-ordered ids, index keyed by id first), "random" the
// same index with random ids (older clients), and "before" random ids with the
// index of schema 5, keyed by chat first (docs/PERFORMANCE.md, "Time-ordered
// message ids").
//
//	go test ./relay/store/ -run '^$' -bench CommitLatency -benchtime 100000x
func BenchmarkCommitLatency(b *testing.B) {
	for _, v := range idVariants {
		b.Run(v.name, func(b *testing.B) { benchmarkCommitLatency(b, v.ordered, v.oldSchema) })
	}
}

// benchStore is a store for the commit benchmarks: chats direct chats, each with
// its sender account, and the -shm file to count WAL frames in.
type benchStore struct {
	s         *store.SQLite
	cs        []*store.Chat
	shm       *os.File
	lastFrame int
	ordered   bool
	ct        []byte
}

func newBenchStore(b *testing.B, chats int, ordered, oldSchema bool) *benchStore {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "relay.db")
	s, err := store.Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if oldSchema {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		_, err = db.Exec("DROP INDEX messages_msg; CREATE UNIQUE INDEX messages_msg ON messages (chat_no, msg_id)")
		db.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	shm, err := os.Open(path + "-shm")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { shm.Close() })
	bs := &benchStore{s: s, shm: shm, ordered: ordered, ct: make([]byte, 1024)}
	rand.Read(bs.ct)
	if err := s.Write(ctx, func(tx store.Tx) error {
		for i := range chats {
			a, p := ids.Account{byte(i), 1}, ids.Account{byte(i), 2}
			for _, id := range []ids.Account{a, p} {
				if err := tx.CreateAccount(ctx, store.Account{ID: id, PublicKey: make([]byte, 64), CreatedAt: 1}); err != nil {
					return err
				}
			}
			c := &store.Chat{ID: ids.New[ids.Chat](), Kind: policy.KindDirect, CreatedBy: a, Epoch: 1, Members: map[ids.Account]*store.Member{
				a: {Role: policy.RoleOwner}, p: {Role: policy.RoleMember},
			}}
			if err := tx.CreateChat(ctx, c, 1); err != nil {
				return err
			}
			bs.cs = append(bs.cs, c)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	bs.lastFrame = walFrames(b, shm)
	return bs
}

// commit writes message i of batch into chat i mod chats, as the relay's writer
// does (insert, then one usage update per sender), and returns the WAL frames the
// commit appended.
func (bs *benchStore) commit(b *testing.B, batch []int) int {
	ctx := context.Background()
	if err := bs.s.Write(ctx, func(tx store.Tx) error {
		used := map[ids.Account]int64{}
		for _, i := range batch {
			c := bs.cs[i%len(bs.cs)]
			sender := c.CreatedBy
			id := ids.New[ids.Message]()
			if bs.ordered {
				id = ids.NewOrdered[ids.Message](time.Now())
			}
			e := wire.Entry{Seq: c.LastSeq + 1, MsgID: id, SenderAccount: sender, Epoch: 1, ServerTime: int64(i), Ciphertext: bs.ct}
			seq, _, _, err := tx.InsertMessage(ctx, c, e)
			if err != nil {
				return err
			}
			c.LastSeq = seq
			used[sender] += int64(len(bs.ct))
		}
		for a, n := range used {
			if err := tx.AddUsage(ctx, a, n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	// A WAL that restarted (after a checkpoint) holds this commit's frames only.
	f := walFrames(b, bs.shm)
	n := f
	if f >= bs.lastFrame {
		n = f - bs.lastFrame
	}
	bs.lastFrame = f
	return n
}

// idVariants are the benchmarks' variants: the message ids clients send and the
// index that makes resends idempotent.
var idVariants = []struct {
	name      string
	ordered   bool
	oldSchema bool
}{{"ordered", true, false}, {"random", false, false}, {"before", false, true}}

// BenchmarkWALFramesPerCommit counts the WAL frames (4 KiB pages) of a group
// commit of exactly 5 messages of 1 KiB, each in another of 10 chats, as at
// 10 000 msgs/s — once 50 000 messages are stored, so the indexes have grown past
// a few pages. It measures pages, not time: the machine's load does not move it.
//
//	go test ./relay/store/ -run '^$' -bench WALFramesPerCommit -benchtime 2000x
func BenchmarkWALFramesPerCommit(b *testing.B) {
	const chats, perCommit, prefill = 10, 5, 50000
	for _, v := range idVariants {
		b.Run(v.name, func(b *testing.B) {
			bs := newBenchStore(b, chats, v.ordered, v.oldSchema)
			batch := make([]int, 0, 500)
			for i := 0; i < prefill; i++ {
				batch = append(batch, i)
				if len(batch) == cap(batch) {
					bs.commit(b, batch)
					batch = batch[:0]
				}
			}
			b.ResetTimer()
			frames := 0
			for n := range b.N {
				batch = batch[:0]
				for j := range perCommit {
					batch = append(batch, n*perCommit+j)
				}
				frames += bs.commit(b, batch)
			}
			b.ReportMetric(float64(frames)/float64(b.N), "frames/commit")
		})
	}
}

func benchmarkCommitLatency(b *testing.B, ordered, oldSchema bool) {
	const (
		rate  = 10000
		chats = 10
	)
	bs := newBenchStore(b, chats, ordered, oldSchema)

	arrivals := make(chan int, b.N)
	interval := time.Second / rate
	b.ResetTimer()
	start := time.Now()
	go func() {
		for i := range b.N {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
			arrivals <- i
		}
		close(arrivals)
	}()
	lat := make([]time.Duration, 0, b.N)
	batch := make([]int, 0, 4096)
	commits, frames := 0, 0
	for first := range arrivals {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < cap(batch) {
			select {
			case i, ok := <-arrivals:
				if !ok {
					break fill
				}
				batch = append(batch, i)
			default:
				break fill
			}
		}
		frames += bs.commit(b, batch)
		commits++
		now := time.Now()
		for _, i := range batch {
			lat = append(lat, now.Sub(start.Add(time.Duration(i)*interval)))
		}
	}
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/float64(commits), "msgs/commit")
	b.ReportMetric(float64(frames)/float64(commits), "frames/commit")
	b.ReportMetric(float64(frames)/float64(b.N), "frames/msg")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(0.999), "p99.9-ms")
	b.ReportMetric(q(1), "max-ms")
}

// walFrames reads how many frames the WAL holds (mxFrame) from the first copy of the
// WAL-index header, at the start of the -shm file, as the writer left it after its
// commit (https://sqlite.org/walformat.html, "The WAL-Index Header").
func walFrames(b *testing.B, shm *os.File) int {
	var buf [4]byte
	if _, err := shm.ReadAt(buf[:], 16); err != nil {
		b.Fatal(err)
	}
	return int(binary.NativeEndian.Uint32(buf[:]))
}
