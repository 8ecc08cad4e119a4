package chat

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/cputime"
	"hush/internal/testutil"
	"hush/policy"
	"hush/search"
	"hush/vault"
)

// BenchmarkSearchBuildFromVault is the index's build after unlock as the
// engine runs it: 100 000 messages read from the vault (opened and
// decoded, in batches of scanBatch) and indexed. It reports the heap the
// index holds afterwards and the vault file's size. docs/PERFORMANCE.md,
// "Search":
//
//	go test ./chat/ -run '^$' -bench SearchBuildFromVault -benchtime 5x
func BenchmarkSearchBuildFromVault(b *testing.B) {
	const messages, chats = 100_000, 200
	v := testVault(b)
	rng := rand.New(rand.NewPCG(5, 6))
	chatIDs := make([]ids.Chat, chats)
	for i := range chatIDs {
		kind := policy.KindGroup
		if i%20 == 0 {
			kind = policy.KindSecret // 5 % of chats: read, never indexed
		}
		chatIDs[i] = putChat(b, v, kind)
	}
	words := strings.Fields("the a meet café noon tomorrow station train ticket photo sent 東京で会いましょう Привет как дела ok thanks see you later where are what time is it dinner at home work project report deadline Straße naïve résumé")
	start := time.Unix(1_700_000_000, 0)
	for batch := 0; batch < messages; batch += 5000 {
		if err := v.Update(b.Context(), func(tx *vault.Tx) error {
			for i := batch; i < batch+5000; i++ {
				var body strings.Builder
				for w := range 3 + rng.IntN(25) {
					if w > 0 {
						body.WriteByte(' ')
					}
					body.WriteString(words[rng.IntN(len(words))])
				}
				m := vault.Message{
					ID: ids.New[ids.Message](), ChatID: chatIDs[rng.IntN(chats)], Body: body.String(),
					Status: policy.StatusSent, Seq: int64(i + 1), SentAt: start.Add(time.Duration(i) * time.Second),
				}
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	base := testutil.HeapInUse()
	var idx *search.Index
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		s := newSearcher(v, clock.Real(), slog.New(slog.DiscardHandler))
		idx = search.New()
		if err := s.build(context.Background(), idx, make(map[ids.Chat]policy.ChatKind)); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cputime.Process() - cpu0
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(idx.Len()), "indexed")
	b.ReportMetric(float64(testutil.HeapInUse()-base)/(1<<20), "MiB-heap")
	runtime.KeepAlive(idx)
}
