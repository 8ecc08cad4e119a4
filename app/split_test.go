package app

import (
	"strings"
	"testing"

	"hush/chat"
)

// TestSendSplitThroughServices: a text Send refuses as too long goes out through
// SendSplit as several messages, in order, each within one message's limit; a short
// one stays whole, and bad ids are refused as by Send.
func TestSendSplitThroughServices(t *testing.T) {
	alice, _, summary := chatting(t)
	long := strings.Repeat("A sentence that ends here. ", 2*chat.SplitPartBytes/27+10)
	if _, err := alice.chats.Send(summary.ID, long, ""); err == nil {
		t.Fatal("Send took a text over the limit: the test proves nothing")
	}
	ms, err := alice.chats.SendSplit(summary.ID, long, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("%d messages, want 3", len(ms))
	}
	bodies := make([]string, len(ms))
	for i, m := range ms {
		bodies[i] = m.Body
		if len(m.Body) > chat.SplitPartBytes || m.Status != "pending" || !m.Outgoing || !strings.HasSuffix(m.Body, "here.") {
			t.Errorf("part %d: %d bytes, %s, outgoing %v, ends …%q", i, len(m.Body), m.Status, m.Outgoing, m.Body[len(m.Body)-10:])
		}
	}
	if strings.Join(bodies, " ") != strings.TrimSpace(long) {
		t.Error("the parts do not make up the text")
	}
	short, err := alice.chats.SendSplit(summary.ID, "short", "")
	if err != nil || len(short) != 1 || short[0].Body != "short" {
		t.Errorf("a short text: %+v, %v", short, err)
	}
	for _, bad := range [][2]string{{"nope", ""}, {summary.ID, "nope"}} {
		if _, err := alice.chats.SendSplit(bad[0], "x", bad[1]); err == nil {
			t.Errorf("SendSplit(%q, reply %q) took a bad id", bad[0], bad[1])
		}
	}
}
