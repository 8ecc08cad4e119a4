package relay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestFrameQueue(t *testing.T) {
	tests := []struct {
		name string
		ops  string // p: push the next number, o: pop and expect the oldest
	}{
		{"empty", "o"},
		{"fifo", "pppooo"},
		{"grow past the first allocation", "ppppppppppppppppppppoooooooooooooooooooo"},
		{"wrap around then grow", "pppppoooppppppppppppoooooooooooooooo"},
		{"interleaved", "popopopoppoopppooo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q frameQueue
			var next, want byte
			for i, op := range tt.ops {
				switch op {
				case 'p':
					q.push(outFrame{b: []byte{next}, resp: next%2 == 0})
					next++
				case 'o':
					f, ok := q.pop()
					if want == next {
						if ok {
							t.Fatalf("op %d: pop from an empty queue gave %v", i, f.b)
						}
						continue
					}
					if !ok || len(f.b) != 1 || f.b[0] != want || f.resp != (want%2 == 0) {
						t.Fatalf("op %d: pop = %v %v, want [%d]", i, f, ok, want)
					}
					want++
				}
				if q.n != int(next-want) {
					t.Fatalf("op %d: %d queued, want %d", i, q.n, next-want)
				}
			}
			q.release()
			if q.n == 0 && q.buf != nil {
				t.Error("an empty queue kept its ring after release")
			}
		})
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestCorkConnReads(t *testing.T) {
	tests := []struct {
		name     string
		buffered string // what the HTTP server had read past the upgrade request
		sent     []string
		readSize int
	}{
		{"socket only, small reads", "", []string{"hello", " world"}, 3},
		{"buffered bytes come first", "first|", []string{"then the socket"}, 4},
		{"reads larger than the pooled buffer go straight to the socket", "", []string{string(bytes.Repeat([]byte("x"), 3*readBufSize))}, readBufSize + 1},
		{"buffered then large", "ab", []string{string(bytes.Repeat([]byte("y"), readBufSize))}, 2 * readBufSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			c := newCorkConn(server, time.Second, []byte(tt.buffered))
			want := tt.buffered
			go func() {
				for _, s := range tt.sent {
					client.Write([]byte(s))
					time.Sleep(10 * time.Millisecond)
				}
				client.Close()
			}()
			for _, s := range tt.sent {
				want += s
			}
			var got []byte
			p := make([]byte, tt.readSize)
			for {
				n, err := c.Read(p)
				got = append(got, p[:n]...)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				c.rmu.Lock()
				held := c.rbuf != nil && c.rpos == c.rend
				c.rmu.Unlock()
				if held {
					t.Fatal("a consumed read buffer is still held")
				}
			}
			if string(got) != want {
				t.Errorf("read %d bytes %.40q…, want %d bytes %.40q…", len(got), got, len(want), want)
			}
			if c.rbuf != nil {
				t.Error("the connection holds a read buffer at EOF")
			}
		})
	}
}

// TestCorkConnIdleReadHoldsNoBuffer checks that a read waiting for data holds no
// pooled buffer, and ends with an error when the connection is closed.
func TestCorkConnIdleReadHoldsNoBuffer(t *testing.T) {
	_, server := tcpPair(t)
	c := newCorkConn(server, time.Second, nil)
	if c.raw == nil && rawReads {
		t.Fatal("a TCP connection should be read through its descriptor")
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if rawReads && c.rbuf != nil {
		t.Error("an idle read holds a buffer")
	}
	server.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("read on a closed connection succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read did not end when the connection closed")
	}
}

func TestCorkConnWrites(t *testing.T) {
	client, server := tcpPair(t)
	c := newCorkConn(server, time.Second, nil)
	c.cork()
	for _, s := range []string{"one ", "two ", "three"} {
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, _ := client.Read(make([]byte, 64)); n != 0 {
		t.Fatalf("%d bytes arrived while corked", n)
	}
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len("one two three"))
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "one two three" {
		t.Fatalf("after uncork: %q, %v", got, err)
	}
	// Uncorked writes go straight through.
	if _, err := c.Write([]byte("now")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(client, got[:3]); err != nil || string(got[:3]) != "now" {
		t.Fatalf("uncorked write: %q, %v", got[:3], err)
	}
}
