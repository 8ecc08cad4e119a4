package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"hush/cmd/hush-load/internal/histogram"
	"hush/cmd/hush-load/internal/relayproc"
)

// metric is one measured figure, with the target the project set for it, if any.
type metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Target is written as in the issue ("≥ 25000"); empty for context figures.
	Target string `json:"target,omitempty"`
	// Pass says whether Value meets Target; nil without a target.
	Pass *bool `json:"pass,omitempty"`
}

// param is one setting of a run, printed in order.
type param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// report is what a mode prints: as a table, or as JSON with --json.
type report struct {
	Mode      string    `json:"mode"`
	Started   time.Time `json:"started"`
	Duration  float64   `json:"duration_s"`
	CPUs      int       `json:"cpus"`
	LoadStart float64   `json:"loadavg_1m_start"`
	LoadEnd   float64   `json:"loadavg_1m_end"`
	Params    []param   `json:"params"`
	Metrics   []metric  `json:"metrics"`
	Notes     []string  `json:"notes,omitempty"`
	// Failed is set when the run itself shows a broken promise (the soak found a
	// loss) — not when a figure misses its target.
	Failed bool `json:"failed"`
}

func newReport(mode string) *report {
	r := &report{Mode: mode, Started: time.Now(), CPUs: runtime.NumCPU()}
	r.LoadStart, _ = relayproc.LoadAvg()
	return r
}

func (r *report) param(name string, v any) { r.Params = append(r.Params, param{name, fmt.Sprint(v)}) }

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *report) add(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit})
}

// atLeast adds a figure whose target is a minimum.
func (r *report) atLeast(name string, v float64, unit string, target float64) {
	pass := v >= target
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit, Target: strings.TrimSpace("≥ " + formatValue(target, unit) + " " + unit), Pass: &pass})
}

// atMost adds a figure whose target is a maximum.
func (r *report) atMost(name string, v float64, unit string, target float64) {
	pass := v <= target
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit, Target: strings.TrimSpace("≤ " + formatValue(target, unit) + " " + unit), Pass: &pass})
}

// latencies adds the usual quantiles of h in milliseconds; target, if positive, is
// the p99 bound.
func (r *report) latencies(what string, h *histogram.Histogram, p99Target time.Duration, withP999 bool) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.add(what+" p50", ms(h.Quantile(0.50)), "ms")
	if p99Target > 0 {
		r.atMost(what+" p99", ms(h.Quantile(0.99)), "ms", ms(p99Target))
	} else {
		r.add(what+" p99", ms(h.Quantile(0.99)), "ms")
	}
	if withP999 {
		r.add(what+" p99.9", ms(h.Quantile(0.999)), "ms")
	}
	r.add(what+" max", ms(h.Max()), "ms")
}

func (r *report) finish() {
	r.Duration = time.Since(r.Started).Seconds()
	r.LoadEnd, _ = relayproc.LoadAvg()
}

// missed returns the names of the figures that miss their targets.
func (r *report) missed() []string {
	var out []string
	for _, m := range r.Metrics {
		if m.Pass != nil && !*m.Pass {
			out = append(out, m.Name)
		}
	}
	return out
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "hush-load %s — %s, %d CPUs, load average (1 min) %.2f at start, %.2f at end, %.1f s\n", r.Mode, r.Started.Format(time.DateTime), r.CPUs, r.LoadStart, r.LoadEnd, r.Duration)
	for _, p := range r.Params {
		fmt.Fprintf(&b, "  %s: %s\n", p.Name, p.Value)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\ttarget\t")
	for _, m := range r.Metrics {
		status := ""
		if m.Pass != nil {
			status = "ok"
			if !*m.Pass {
				status = "MISSED"
			}
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\n", m.Name, formatValue(m.Value, m.Unit), m.Unit, m.Target, status)
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if r.Failed {
		b.WriteString("RESULT: FAILED\n")
	}
	// tabwriter pads the last cells of rows without a status; drop the blanks.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// formatValue prints integers-ish figures without decimals and small ones with
// enough digits to be read.
func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case unit == "ms" || unit == "µs" || unit == "MiB" || unit == "KiB" || math.Abs(v) < 100 && v != math.Trunc(v):
		if math.Abs(v) >= 100 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
