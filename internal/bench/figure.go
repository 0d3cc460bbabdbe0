package bench

import (
	"encoding/json"
	"io"
	"math"
	"time"
)

// Figure is one line of `make bench` output.
type Figure struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Target   string  `json:"target,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// Emit writes f as one JSON line, computing the ratio when a baseline is set.
func Emit(w io.Writer, f Figure) {
	if f.Baseline != 0 && f.Ratio == 0 {
		f.Ratio = round(f.Value/f.Baseline, 3)
	}
	f.Value = round(f.Value, 2)
	f.Baseline = round(f.Baseline, 2)
	b, _ := json.Marshal(f)
	_, _ = w.Write(append(b, '\n'))
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
