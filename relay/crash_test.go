package relay_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
)

// childEnv makes the test binary run the relay command instead of the tests, so a
// test can run a real relay process and kill it.
const childEnv = "HUSH_RELAY_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		code := relay.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	pgtest.Main(m)
}

// startChild runs the relay in a child process and returns its URL.
func startChild(t *testing.T, db string) (*exec.Cmd, string) {
	t.Helper()
	return startChildArgs(t, db)
}

func startChildArgs(t testing.TB, db string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--db", db, "--rate", "1000000", "--burst", "1000000", "--log-level", "error"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("relay child: %v", err)
	}
	url := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, url
}

func TestCrashLosesNoAckedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs relay processes")
	}
	db := filepath.Join(t.TempDir(), "relay.db")
	devs := []*relaytest.Device{relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)}
	l := &ledger{acked: map[ids.Message]uint64{}}
	var chat ids.Chat
	const kills = 3
	for round := range kills + 1 {
		cmd, url := startChild(t, db)
		conns := make([]*relaytest.Conn, len(devs))
		for i, d := range devs {
			conns[i] = relaytest.DialURL(t, url, d)
		}
		if round == 0 {
			chat = chatWith(t, conns[0], policy.KindGroup, devs[0], devs[1:]...)
		}
		if round == kills {
			n := checkLedger(t, conns[0], chat, l)
			t.Logf("after %d kills: %d acknowledged, %d stored, 0 lost", kills, len(l.acked), n)
			break
		}
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); sendUntilClosed(t, c, chat, l) }()
		}
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		wg.Wait()
	}
	if len(l.acked) < 100 {
		t.Errorf("only %d messages acknowledged; the test did not stress anything", len(l.acked))
	}
}
