//go:build !hush_omit_metrics

package relay

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// withMetrics reports whether this build serves Prometheus metrics. A build tagged
// hush_omit_metrics leaves them out (nometrics.go), and with them the Prometheus
// client: the desktop binary, whose `hush relay` is one relay on one computer
// (docs/ARCHITECTURE.md, "What each binary links").
const withMetrics = true

// metrics are one relay's Prometheus metrics, in a registry of its own: two relays
// in one process (the tests run many) count separately, and nothing registers into
// the library's global default registry. Every name starts with hush_relay_; what
// each means is in docs/RELAY.md, "Metrics". No metric carries an account, a device
// or a chat: the relay's operator learns volumes, not who talks to whom.
type metrics struct {
	reg *prometheus.Registry

	messages       prometheus.Counter
	commitSeconds  prometheus.Histogram
	commitWrites   prometheus.Histogram
	commitFailures prometheus.Counter
	errors         *prometheus.CounterVec
	storeSeconds   *prometheus.HistogramVec
	inboxExpired   prometheus.Counter
}

// latencyBuckets span a fast SQLite commit (a fraction of a millisecond without
// fsync in tests) to a PostgreSQL commit across a slow network.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hush_relay_messages_total",
		Help: "Chat messages stored (resends not counted); rate() of it is messages per second.",
	})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hush_relay_commit_duration_seconds",
		Help:    "Time of one group commit: the store transaction of a batch of writes, until durable.",
		Buckets: latencyBuckets,
	})
	m.commitWrites = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hush_relay_commit_batch_writes",
		Help:    "Writes in one group commit.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 7), // 1 … 4096 (Limits.MaxBatch)
	})
	m.commitFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hush_relay_commit_failures_total",
		Help: "Group commits that failed; their writes were answered with an error and are resent by devices.",
	})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hush_relay_errors_total",
		Help: "Errors the relay answered to devices, by protocol error code (docs/PROTOCOL.md, \"Errors\").",
	}, []string{"code"})
	m.storeSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hush_relay_store_read_duration_seconds",
		Help:    "Time of the store's reads outside the commit loop, by query.",
		Buckets: latencyBuckets,
	}, []string{"query"})
	m.inboxExpired = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hush_relay_inbox_expired_total",
		Help: "Undelivered inbox items deleted after the retention period (--inbox-retention).",
	})
	m.reg.MustRegister(
		m.messages, m.commitSeconds, m.commitWrites, m.commitFailures, m.errors, m.storeSeconds, m.inboxExpired,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hush_relay_connections",
			Help: "Open WebSocket connections, authenticated or not.",
		}, func() float64 { return float64(s.hub.count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hush_relay_commit_queue_writes",
			Help: "Writes waiting for the commit loop.",
		}, func() float64 { return float64(len(s.writer.ops)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hush_relay_send_queue_pushes",
			Help: "Pushes waiting in every connection's send queue, added up (a connection over --send-queue is closed as slow).",
		}, func() float64 { return float64(s.hub.queuedPushes()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// errorAnswered counts an error answered to a device.
func (m *metrics) errorAnswered(code wire.Code) {
	m.errors.WithLabelValues(code.String()).Inc()
}

// MetricsHandler returns the relay's Prometheus metrics in the text exposition
// format. [Main] serves it only on --metrics-listen, apart from the devices'
// listener (docs/RELAY.md, "Metrics").
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:          promErrorLog{s},
		Registry:          s.metrics.reg,
		EnableOpenMetrics: false,
	})
}

// promErrorLog sends promhttp's errors to the relay's logger.
type promErrorLog struct{ s *Server }

func (l promErrorLog) Println(v ...any) { l.s.log.Warn("metrics", "err", v) }

// timedStore is the relay's [Store] with each read timed into
// hush_relay_store_read_duration_seconds. Write is timed by the commit loop
// (hush_relay_commit_duration_seconds).
type timedStore struct {
	Store
	seconds *prometheus.HistogramVec
}

// timed returns st with its reads timed ([timedStore]).
func (m *metrics) timed(st Store) Store { return timedStore{Store: st, seconds: m.storeSeconds} }

// observe records the time since start under query.
func (t timedStore) observe(query string, start time.Time) {
	t.seconds.WithLabelValues(query).Observe(time.Since(start).Seconds())
}

func (t timedStore) Account(ctx context.Context, id ids.Account) (store.Account, error) {
	defer t.observe("account", time.Now())
	return t.Store.Account(ctx, id)
}

func (t timedStore) AccountByHandle(ctx context.Context, handle string) (store.Account, error) {
	defer t.observe("account_by_handle", time.Now())
	return t.Store.AccountByHandle(ctx, handle)
}

func (t timedStore) Device(ctx context.Context, id ids.Device) (store.Device, error) {
	defer t.observe("device", time.Now())
	return t.Store.Device(ctx, id)
}

func (t timedStore) ActiveDeviceCerts(ctx context.Context, account ids.Account) ([][]byte, error) {
	defer t.observe("active_device_certs", time.Now())
	return t.Store.ActiveDeviceCerts(ctx, account)
}

func (t timedStore) Peers(ctx context.Context, account ids.Account) ([]ids.Account, error) {
	defer t.observe("peers", time.Now())
	return t.Store.Peers(ctx, account)
}

func (t timedStore) LastSeen(ctx context.Context, account ids.Account) ([]wire.DeviceSeen, error) {
	defer t.observe("last_seen", time.Now())
	return t.Store.LastSeen(ctx, account)
}

func (t timedStore) ChatInfo(ctx context.Context, chat ids.Chat, reader ids.Account) (wire.ChatInfo, error) {
	defer t.observe("chat_info", time.Now())
	return t.Store.ChatInfo(ctx, chat, reader)
}

func (t timedStore) Chats(ctx context.Context, account ids.Account, after ids.Chat, limit int) ([]wire.ChatSummary, bool, error) {
	defer t.observe("chats", time.Now())
	return t.Store.Chats(ctx, account, after, limit)
}

func (t timedStore) Messages(ctx context.Context, chat ids.Chat, reader ids.Account, after uint64, limit, maxBytes int) ([]wire.Entry, bool, error) {
	defer t.observe("messages", time.Now())
	return t.Store.Messages(ctx, chat, reader, after, limit, maxBytes)
}

func (t timedStore) Epochs(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([]wire.EpochKey, bool, error) {
	defer t.observe("epochs", time.Now())
	return t.Store.Epochs(ctx, chat, reader, from, limit, maxBytes)
}

func (t timedStore) Log(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([][]byte, bool, error) {
	defer t.observe("log", time.Now())
	return t.Store.Log(ctx, chat, reader, from, limit, maxBytes)
}

func (t timedStore) AccountLog(ctx context.Context, account ids.Account, after uint64, limit, maxBytes int) ([]wire.AccountEntry, bool, error) {
	defer t.observe("account_log", time.Now())
	return t.Store.AccountLog(ctx, account, after, limit, maxBytes)
}

func (t timedStore) Inbox(ctx context.Context, device ids.Device, after uint64, limit, maxBytes int) ([]wire.InboxItem, bool, error) {
	defer t.observe("inbox", time.Now())
	return t.Store.Inbox(ctx, device, after, limit, maxBytes)
}

func (t timedStore) Acquainted(ctx context.Context, account ids.Account, device ids.Device) (bool, error) {
	defer t.observe("acquainted", time.Now())
	return t.Store.Acquainted(ctx, account, device)
}

func (t timedStore) DisabledSince(ctx context.Context, after int64, limit int) ([]ids.Account, int64, error) {
	defer t.observe("disabled_since", time.Now())
	return t.Store.DisabledSince(ctx, after, limit)
}

func (t timedStore) Ready(ctx context.Context) error {
	defer t.observe("ready", time.Now())
	return t.Store.Ready(ctx)
}
