package ledger

import (
	"strings"
	"testing"

	"hush/ids"
	"hush/sync/wire"
)

// msgIDs returns n distinct message ids, the same on every call, so test tables read
// as "message 3" rather than random bytes.
func msgIDs(n int) []ids.Message {
	out := make([]ids.Message, n)
	for i := range out {
		out[i][0] = byte(i + 1)
		out[i][15] = 0xAA
	}
	return out
}

func entries(chat ids.Chat, seqs []uint64, msgs []ids.Message) []wire.Entry {
	out := make([]wire.Entry, len(seqs))
	for i := range seqs {
		out[i] = wire.Entry{Seq: seqs[i], MsgID: msgs[i]}
	}
	return out
}

func TestCheck(t *testing.T) {
	chat := ids.Chat{1}
	other := ids.Chat{2}
	m := msgIDs(6)
	ref := func(i int) Ref { return Ref{Chat: chat, ID: m[i]} }
	// The standard story: one sender sent m0..m3 to chat, the relay acknowledged m0..m2
	// at seqs 1..3 and stored m3 without acknowledging it.
	standard := func(l *Ledger) {
		for i := range 4 {
			l.Sent(0, ref(i))
		}
		for i := range 3 {
			l.Acked(ref(i), uint64(i+1))
		}
	}
	tests := []struct {
		name    string
		setup   func(l *Ledger)
		logs    map[ids.Chat][]wire.Entry
		want    map[Kind]int
		unacked int
	}{
		{
			name:    "clean, with a stored but unacknowledged message",
			setup:   standard,
			logs:    map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 3, 4}, []ids.Message{m[0], m[1], m[2], m[3]})},
			unacked: 1,
		},
		{
			name:  "an acknowledged id is lost",
			setup: standard,
			logs:  map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2}, []ids.Message{m[0], m[1]})},
			want:  map[Kind]int{Lost: 1},
		},
		{
			name:  "a chat's whole log is missing",
			setup: standard,
			logs:  map[ids.Chat][]wire.Entry{},
			want:  map[Kind]int{Lost: 3},
		},
		{
			name:    "a duplicate id",
			setup:   standard,
			logs:    map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 3, 4}, []ids.Message{m[0], m[1], m[2], m[1]})},
			want:    map[Kind]int{Duplicate: 1},
			unacked: 0,
		},
		{
			name:    "a gap in seqs",
			setup:   standard,
			logs:    map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 3, 5}, []ids.Message{m[0], m[1], m[2], m[3]})},
			want:    map[Kind]int{Gap: 1},
			unacked: 1,
		},
		{
			name:    "a log not starting at seq 1",
			setup:   func(l *Ledger) { l.Sent(0, ref(0)) },
			logs:    map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{2}, []ids.Message{m[0]})},
			want:    map[Kind]int{Gap: 1},
			unacked: 1,
		},
		{
			name:  "a seq repeated in the log",
			setup: standard,
			logs:  map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 2, 3}, []ids.Message{m[0], m[1], m[3], m[2]})},
			// m2 is at seq 3 as acknowledged; m3, sent after it, sits at a repeated seq 2.
			want:    map[Kind]int{BadSeq: 1, OutOfOrder: 1},
			unacked: 1,
		},
		{
			name:  "stored at another seq than acknowledged",
			setup: standard,
			logs:  map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 3}, []ids.Message{m[0], m[2], m[1]})},
			// m1 and m2 swapped: both mismatch their acks, and m2 went before m1.
			want: map[Kind]int{SeqMismatch: 2, OutOfOrder: 1},
		},
		{
			name:  "an id nobody sent",
			setup: standard,
			logs:  map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2, 3, 4}, []ids.Message{m[0], m[1], m[2], m[5]})},
			want:  map[Kind]int{Unknown: 1},
		},
		{
			name: "two acks with different seqs",
			setup: func(l *Ledger) {
				l.Sent(0, ref(0))
				l.Acked(ref(0), 1)
				l.Acked(ref(0), 1) // a resend answered with the original seq is fine
				l.Acked(ref(0), 7)
			},
			logs: map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1}, []ids.Message{m[0]})},
			want: map[Kind]int{AckConflict: 1},
		},
		{
			name: "one sender's messages stored out of send order",
			setup: func(l *Ledger) {
				l.Sent(0, ref(0))
				l.Sent(0, ref(1))
				l.Sent(0, ref(0)) // a resend does not change the order
			},
			logs:    map[ids.Chat][]wire.Entry{chat: entries(chat, []uint64{1, 2}, []ids.Message{m[1], m[0]})},
			want:    map[Kind]int{OutOfOrder: 1},
			unacked: 2,
		},
		{
			name: "two senders interleaved, and two chats, in order",
			setup: func(l *Ledger) {
				l.Sent(0, ref(0))
				l.Sent(1, ref(1))
				l.Sent(0, ref(2))
				l.Sent(1, Ref{Chat: other, ID: m[3]})
				l.Acked(ref(1), 1)
				l.Acked(ref(0), 2)
				l.Acked(ref(2), 3)
				l.Acked(Ref{Chat: other, ID: m[3]}, 1)
			},
			logs: map[ids.Chat][]wire.Entry{
				chat:  entries(chat, []uint64{1, 2, 3}, []ids.Message{m[1], m[0], m[2]}),
				other: entries(other, []uint64{1}, []ids.Message{m[3]}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New()
			tt.setup(l)
			res := l.Check(tt.logs)
			for k := Lost; k <= OutOfOrder; k++ {
				if got := res.Count(k); got != tt.want[k] {
					t.Errorf("%v: %d, want %d (problems: %v)", k, got, tt.want[k], res.Problems)
				}
			}
			if res.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with problems %v", res.OK(), res.Problems)
			}
			if res.Unacked != tt.unacked {
				t.Errorf("unacked %d, want %d", res.Unacked, tt.unacked)
			}
			for _, p := range res.Problems {
				if !strings.Contains(p.String(), p.Kind.String()) {
					t.Errorf("problem text %q does not name its kind", p)
				}
			}
		})
	}
}

func TestCheckCapsListedProblems(t *testing.T) {
	l := New()
	chat := ids.Chat{1}
	for i := range 3 * maxProblems {
		id := ids.Message{byte(i), byte(i >> 8), 1}
		l.Sent(0, Ref{Chat: chat, ID: id})
		l.Acked(Ref{Chat: chat, ID: id}, uint64(i+1))
	}
	res := l.Check(nil)
	if res.Count(Lost) != 3*maxProblems || len(res.Problems) != maxProblems {
		t.Errorf("lost %d listed %d, want %d and %d", res.Count(Lost), len(res.Problems), 3*maxProblems, maxProblems)
	}
	if l.AckedCount() != 3*maxProblems || l.SentCount() != 3*maxProblems {
		t.Errorf("counts %d/%d", l.AckedCount(), l.SentCount())
	}
}

func TestView(t *testing.T) {
	chat := ids.Chat{9}
	m := msgIDs(5)
	type step struct {
		seq  uint64
		id   int
		want Outcome
	}
	tests := []struct {
		name    string
		steps   []step
		log     []int // the final log, as indexes into m, seq = position+1
		partial bool  // the device did not catch up at the end
		want    map[Kind]int
		repeats int
	}{
		{
			name:  "in order",
			steps: []step{{1, 0, Applied}, {2, 1, Applied}, {3, 2, Applied}},
			log:   []int{0, 1, 2},
		},
		{
			name:    "a push repeating a fetched entry is dropped by seq",
			steps:   []step{{1, 0, Applied}, {2, 1, Applied}, {2, 1, Repeat}, {1, 0, Repeat}},
			log:     []int{0, 1},
			repeats: 2,
		},
		{
			name:  "a push past a gap asks for a fetch",
			steps: []step{{1, 0, Applied}, {3, 2, Ahead}, {2, 1, Applied}, {3, 2, Applied}},
			log:   []int{0, 1, 2},
		},
		{
			name:    "another id for a seq already given",
			steps:   []step{{1, 0, Applied}, {1, 3, Repeat}},
			log:     []int{0},
			want:    map[Kind]int{SeqMismatch: 1},
			repeats: 1,
		},
		{
			name:  "one id given at two seqs",
			steps: []step{{1, 0, Applied}, {2, 0, Applied}},
			log:   []int{0, 0},
			want:  map[Kind]int{Duplicate: 1},
		},
		{
			name:    "seq 0",
			steps:   []step{{0, 0, Repeat}},
			partial: true,
			want:    map[Kind]int{BadSeq: 1},
		},
		{
			name:  "caught up short of the log",
			steps: []step{{1, 0, Applied}},
			log:   []int{0, 1},
			want:  map[Kind]int{Lost: 1},
		},
		{
			name:    "short of the log without a final catch-up",
			steps:   []step{{1, 0, Applied}},
			log:     []int{0, 1},
			partial: true,
		},
		{
			name:  "given more than the log holds",
			steps: []step{{1, 0, Applied}, {2, 1, Applied}},
			log:   []int{0},
			want:  map[Kind]int{Lost: 1},
		},
		{
			name:  "given something else than the log holds",
			steps: []step{{1, 0, Applied}, {2, 1, Applied}},
			log:   []int{0, 4},
			want:  map[Kind]int{SeqMismatch: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewView(chat)
			for i, s := range tt.steps {
				if got := v.Apply(s.seq, m[s.id]); got != s.want {
					t.Fatalf("step %d (seq %d): %v, want %v", i, s.seq, got, s.want)
				}
			}
			var log []wire.Entry
			for i, x := range tt.log {
				log = append(log, wire.Entry{Seq: uint64(i + 1), MsgID: m[x]})
			}
			res := v.Problems()
			res.Merge(v.Compare(log, !tt.partial))
			for k := Lost; k <= OutOfOrder; k++ {
				if got := res.Count(k); got != tt.want[k] {
					t.Errorf("%v: %d, want %d (problems: %v)", k, got, tt.want[k], res.Problems)
				}
			}
			if v.Repeats() != tt.repeats {
				t.Errorf("repeats %d, want %d", v.Repeats(), tt.repeats)
			}
		})
	}
}
