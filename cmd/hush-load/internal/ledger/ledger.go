// Package ledger keeps the books of a "nothing lost" soak: every message a client
// sent, every acknowledgement the relay gave, and what each receiving device saw;
// [Ledger.Check] then holds them against the chat logs fetched from the relay at the
// end.
//
// The rules come from docs/PROTOCOL.md ("Ordering and delivery guarantees"):
//
//   - an acknowledged message is in its chat's log, at the Seq of its Ack (a resend of
//     a committed id is answered with the original Seq);
//   - a chat log has Seq 1, 2, 3, … with no gaps and no message id twice;
//   - one sender's messages to one chat get ascending Seq in send order;
//   - a device may be given an entry twice (a push repeating a fetch) and drops the
//     repeat by (chat, Seq); it must never be given one message id at two Seqs, nor
//     two ids at one Seq.
//
// A message stored but never acknowledged (the relay died between commit and Ack)
// is allowed and counted apart.
package ledger

import (
	"fmt"
	"sync"

	"hush/ids"
	"hush/sync/wire"
)

// maxProblems caps the problems a result lists one by one; the counts stay exact.
const maxProblems = 50

// Ref names one message.
type Ref struct {
	Chat ids.Chat
	ID   ids.Message
}

// Kind classifies a [Problem].
type Kind int

// Problem kinds. Each is a broken promise of the relay (or of the ledger's client).
const (
	// Lost: the relay acknowledged the message but it is not in the chat log.
	Lost Kind = iota + 1
	// Duplicate: one message id at two Seqs of a chat, in the log or as delivered.
	Duplicate
	// Gap: Seqs missing from a chat log.
	Gap
	// BadSeq: a Seq at or below the one before it in a fetched log.
	BadSeq
	// SeqMismatch: the message is stored at another Seq than its Ack said, or a
	// device was given two different ids for one Seq, or a device's view of a chat
	// differs from the log.
	SeqMismatch
	// Unknown: the log holds a message id no client sent.
	Unknown
	// AckConflict: two acknowledgements of one message carried different Seqs.
	AckConflict
	// OutOfOrder: one sender's messages to a chat were stored out of send order.
	OutOfOrder
)

var kindNames = [...]string{
	Lost:        "lost",
	Duplicate:   "duplicate",
	Gap:         "gap",
	BadSeq:      "bad seq",
	SeqMismatch: "seq mismatch",
	Unknown:     "unknown id",
	AckConflict: "ack conflict",
	OutOfOrder:  "out of order",
}

// String returns the kind's name, for reports.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Problem is one broken promise, with enough detail to look it up in the database.
type Problem struct {
	Kind   Kind
	Chat   ids.Chat
	ID     ids.Message
	Seq    uint64
	Detail string
}

// String formats the problem for a report.
func (p Problem) String() string {
	return fmt.Sprintf("%v: chat %.8s… msg %.8s… seq %d: %s", p.Kind, p.Chat, p.ID, p.Seq, p.Detail)
}

// Result is the outcome of [Ledger.Check].
type Result struct {
	Acked   int // distinct messages the relay acknowledged
	Stored  int // entries in the fetched logs
	Unacked int // stored messages that were sent but never acknowledged (allowed)
	// Counts of each problem kind.
	Counts map[Kind]int
	// Problems lists the first problems found (at most maxProblems).
	Problems []Problem
}

// OK reports whether no promise was broken.
func (r *Result) OK() bool { return len(r.Counts) == 0 }

// Count returns how many problems of kind k were found.
func (r *Result) Count(k Kind) int { return r.Counts[k] }

func (r *Result) add(p Problem) {
	if r.Counts == nil {
		r.Counts = map[Kind]int{}
	}
	r.Counts[p.Kind]++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}

// Merge adds o's problems to r (not its message counts).
func (r *Result) Merge(o Result) {
	for k, n := range o.Counts {
		if r.Counts == nil {
			r.Counts = map[Kind]int{}
		}
		r.Counts[k] += n
	}
	for _, p := range o.Problems {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, p)
		}
	}
}

// Ledger records sends and acknowledgements; it is safe for concurrent use. The zero
// value is not ready: use [New].
type Ledger struct {
	mu        sync.Mutex
	sent      map[Ref]struct{}
	streams   map[int][]Ref // each sender's messages in first-send order
	acked     map[Ref]uint64
	conflicts []Problem
}

// New returns an empty ledger.
func New() *Ledger {
	return &Ledger{sent: map[Ref]struct{}{}, streams: map[int][]Ref{}, acked: map[Ref]uint64{}}
}

// Sent records that sender stream sent r for the first time. Resends of r are not
// recorded again: a sender's order is the order of first sends.
func (l *Ledger) Sent(stream int, r Ref) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.sent[r]; ok {
		return
	}
	l.sent[r] = struct{}{}
	l.streams[stream] = append(l.streams[stream], r)
}

// Acked records the relay's acknowledgement of r at seq. A second acknowledgement
// with the same seq is fine (a resend); one with another seq is a problem.
func (l *Ledger) Acked(r Ref, seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.acked[r]; ok {
		if prev != seq {
			l.conflicts = append(l.conflicts, Problem{Kind: AckConflict, Chat: r.Chat, ID: r.ID, Seq: seq, Detail: fmt.Sprintf("acknowledged at seq %d before", prev)})
		}
		return
	}
	l.acked[r] = seq
}

// AckedCount returns how many distinct messages were acknowledged.
func (l *Ledger) AckedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// SentCount returns how many distinct messages were sent.
func (l *Ledger) SentCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

// Check holds the ledger against the chat logs as fetched from the relay (each in
// fetch order). Chats the ledger sent to but logs lacks count as empty.
func (l *Ledger) Check(logs map[ids.Chat][]wire.Entry) Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := Result{Acked: len(l.acked)}
	for _, p := range l.conflicts {
		res.add(p)
	}
	stored := make(map[Ref]uint64)
	for chat, entries := range logs {
		res.Stored += len(entries)
		checkLog(&res, chat, entries)
		for _, e := range entries {
			r := Ref{Chat: chat, ID: e.MsgID}
			if _, dup := stored[r]; dup {
				continue // reported by checkLog
			}
			stored[r] = e.Seq
			if _, ok := l.sent[r]; !ok {
				res.add(Problem{Kind: Unknown, Chat: chat, ID: e.MsgID, Seq: e.Seq, Detail: "stored but never sent"})
				continue
			}
			ack, ok := l.acked[r]
			switch {
			case !ok:
				res.Unacked++
			case ack != e.Seq:
				res.add(Problem{Kind: SeqMismatch, Chat: chat, ID: e.MsgID, Seq: e.Seq, Detail: fmt.Sprintf("acknowledged at seq %d", ack)})
			}
		}
	}
	for r, seq := range l.acked {
		if _, ok := stored[r]; !ok {
			res.add(Problem{Kind: Lost, Chat: r.Chat, ID: r.ID, Seq: seq, Detail: "acknowledged, not in the log"})
		}
	}
	for stream, refs := range l.streams {
		last := map[ids.Chat]uint64{}
		for _, r := range refs {
			seq, ok := stored[r]
			if !ok {
				continue
			}
			if prev := last[r.Chat]; seq <= prev {
				res.add(Problem{Kind: OutOfOrder, Chat: r.Chat, ID: r.ID, Seq: seq, Detail: fmt.Sprintf("sender %d sent it after a message stored at seq %d", stream, prev)})
			}
			last[r.Chat] = max(last[r.Chat], seq)
		}
	}
	return res
}

// checkLog checks one fetched chat log on its own: Seqs 1, 2, 3, … and no id twice.
func checkLog(res *Result, chat ids.Chat, entries []wire.Entry) {
	seen := make(map[ids.Message]uint64, len(entries))
	next := uint64(1)
	for _, e := range entries {
		switch {
		case e.Seq > next:
			res.add(Problem{Kind: Gap, Chat: chat, Seq: next, Detail: fmt.Sprintf("seqs %d..%d missing", next, e.Seq-1)})
		case e.Seq < next:
			res.add(Problem{Kind: BadSeq, Chat: chat, ID: e.MsgID, Seq: e.Seq, Detail: fmt.Sprintf("after seq %d", next-1)})
		}
		next = max(next, e.Seq+1)
		if prev, ok := seen[e.MsgID]; ok {
			res.add(Problem{Kind: Duplicate, Chat: chat, ID: e.MsgID, Seq: e.Seq, Detail: fmt.Sprintf("also at seq %d", prev)})
			continue
		}
		seen[e.MsgID] = e.Seq
	}
}

// Outcome says what [View.Apply] did with an entry.
type Outcome int

// Outcomes of [View.Apply].
const (
	// Applied: the entry was the next one and is now part of the view.
	Applied Outcome = iota + 1
	// Repeat: the view already had this Seq; the entry was dropped (by (chat, Seq),
	// as the protocol tells clients to).
	Repeat
	// Ahead: Seqs are missing before this entry; the caller fetches from
	// [View.Cursor] and applies the entry after that.
	Ahead
)

// View is what one device was given of one chat, by fetches and pushes, in Seq
// order. It is not safe for concurrent use.
type View struct {
	chat    ids.Chat
	ids     []ids.Message // ids[i] is Seq i+1
	byID    map[ids.Message]uint64
	repeats int
	res     Result
}

// NewView returns an empty view of chat.
func NewView(chat ids.Chat) *View {
	return &View{chat: chat, byID: map[ids.Message]uint64{}}
}

// Cursor returns the highest Seq applied: the AfterSeq of the next fetch.
func (v *View) Cursor() uint64 { return uint64(len(v.ids)) }

// Repeats returns how many entries were given again and dropped.
func (v *View) Repeats() int { return v.repeats }

// Problems returns what the device was given that breaks the protocol.
func (v *View) Problems() Result { return v.res }

// Apply takes one entry the device was given.
func (v *View) Apply(seq uint64, id ids.Message) Outcome {
	n := uint64(len(v.ids))
	switch {
	case seq == 0:
		v.res.add(Problem{Kind: BadSeq, Chat: v.chat, ID: id, Seq: seq, Detail: "seq 0 delivered"})
		return Repeat
	case seq <= n:
		v.repeats++
		if have := v.ids[seq-1]; have != id {
			v.res.add(Problem{Kind: SeqMismatch, Chat: v.chat, ID: id, Seq: seq, Detail: fmt.Sprintf("delivered before as %.8s…", have)})
		}
		return Repeat
	case seq > n+1:
		return Ahead
	}
	if prev, ok := v.byID[id]; ok {
		v.res.add(Problem{Kind: Duplicate, Chat: v.chat, ID: id, Seq: seq, Detail: fmt.Sprintf("delivered before at seq %d", prev)})
	} else {
		v.byID[id] = seq
	}
	v.ids = append(v.ids, id)
	return Applied
}

// Compare holds the view against the chat's final log: the device must have been
// given exactly a prefix of the log (a view longer than the log means the relay
// delivered entries it later lost) and, when complete is set because the device
// caught up after the last write, the whole log.
func (v *View) Compare(log []wire.Entry, complete bool) Result {
	var res Result
	switch {
	case len(v.ids) > len(log):
		res.add(Problem{Kind: Lost, Chat: v.chat, Seq: uint64(len(log) + 1), Detail: fmt.Sprintf("a device was given %d entries, the log has %d", len(v.ids), len(log))})
	case complete && len(v.ids) < len(log):
		res.add(Problem{Kind: Lost, Chat: v.chat, Seq: uint64(len(v.ids) + 1), Detail: fmt.Sprintf("a device caught up to %d entries, the log has %d", len(v.ids), len(log))})
	}
	for i, id := range v.ids {
		if i >= len(log) {
			break
		}
		if log[i].MsgID != id || log[i].Seq != uint64(i+1) {
			res.add(Problem{Kind: SeqMismatch, Chat: v.chat, ID: id, Seq: uint64(i + 1), Detail: fmt.Sprintf("a device was given it; the log has %.8s… at seq %d", log[i].MsgID, log[i].Seq)})
		}
	}
	return res
}
