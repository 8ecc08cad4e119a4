package clock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestFakeRunsDueTimersInOrder(t *testing.T) {
	c := NewFake(time.Unix(100, 0))
	var got []int
	c.AfterFunc(3*time.Second, func() { got = append(got, 3) })
	c.AfterFunc(1*time.Second, func() { got = append(got, 1) })
	stopped := c.AfterFunc(2*time.Second, func() { got = append(got, 2) })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	c.Advance(500 * time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("timers ran early: %v", got)
	}
	c.Advance(5 * time.Second)
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("ran %v, want [1 3]", got)
	}
	if c.Pending() != 0 || stopped.Stop() {
		t.Fatal("timers left behind")
	}
	if want := time.Unix(105, 5e8); !c.Now().Equal(want) {
		t.Fatalf("Now = %v, want %v", c.Now(), want)
	}
}

// TestRealClockFires runs the real clock in a synctest bubble, whose fake time moves
// only when every goroutine waits, so the firing time is exact and nothing sleeps.
func TestRealClockFires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := Real()
		start := c.Now()
		if !start.Equal(time.Now()) {
			t.Errorf("Now = %v, want %v", start, time.Now())
		}
		fired := make(chan time.Time, 1)
		c.AfterFunc(time.Second, func() { fired <- c.Now() })
		stopped := c.AfterFunc(time.Second, func() { t.Error("a stopped timer fired") })
		if !stopped.Stop() {
			t.Error("Stop of a pending timer returned false")
		}
		time.Sleep(time.Second - time.Nanosecond)
		synctest.Wait()
		if len(fired) != 0 {
			t.Fatal("timer fired early")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		select {
		case at := <-fired:
			if at.Sub(start) != time.Second {
				t.Errorf("fired after %v, want 1s", at.Sub(start))
			}
		default:
			t.Fatal("timer did not fire")
		}
		if stopped.Stop() {
			t.Error("Stop of a stopped timer returned true")
		}
	})
}
