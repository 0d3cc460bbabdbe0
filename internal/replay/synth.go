package replay

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Mixes of synthetic functions.
const (
	// MixAzure follows the shapes Shahrad et al. report for the Azure
	// trace; see Synthesize.
	MixAzure = "azure"
	// MixSimple is an easier mix: half timers every 5–60 minutes, a
	// quarter frequent, a quarter bursts.
	MixSimple = "simple"
)

// Synthesize writes a synthetic trace of n functions in the exact format of
// the Azure Functions 2019 dataset (invocations, durations, memory), from
// seed, in MixAzure.
func Synthesize(n int, seed uint64, invocations, durations, memory io.Writer) error {
	return SynthesizeMix(MixAzure, n, seed, invocations, durations, memory)
}

// SynthesizeMix is Synthesize with a choice of mix. MixAzure follows the
// shapes Shahrad et al. report for the Azure trace (function i's class is
// i mod 20, so every n ≥ 20 has the same shares):
//
//   - 20% timers every 1–60 minutes (periodic: pre-warm can predict them);
//   - 5% rare timers every 2–12 hours (beyond the 4-hour histogram);
//   - 30% Poisson arrivals (HTTP) with a mean gap log-uniform between 10 s
//     and 4 hours and a diurnal swing of ±60% (memoryless: no window can
//     predict them, so they show the cost of a long keep-alive);
//   - 15% frequent HTTP, several calls a minute;
//   - 15% queue bursts: a few short bursts of many calls a day;
//   - 15% sporadic: a handful of calls at random times of the day.
func SynthesizeMix(mix string, n int, seed uint64, invocations, durations, memory io.Writer) error {
	class := func(i int) int { return i % 20 }
	switch mix {
	case MixAzure:
	case MixSimple:
		// timers, frequent, bursts: 2:1:1
		class = func(i int) int { return []int{0, 0, 11, 14}[i%4] }
	default:
		return fmt.Errorf("synthetic mix %q: use %s or %s", mix, MixAzure, MixSimple)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	hash := func() string { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) }
	var ib, db, mb strings.Builder
	ib.WriteString("HashOwner,HashApp,HashFunction,Trigger")
	for m := 1; m <= Minutes; m++ {
		ib.WriteString("," + strconv.Itoa(m))
	}
	ib.WriteString("\n")
	db.WriteString("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n")
	mb.WriteString("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n")
	for i := 0; i < n; i++ {
		owner, app, fnh := hash(), hash(), hash()
		trigger, counts := synthCounts(r, class(i))
		total := 0
		ib.WriteString(owner + "," + app + "," + fnh + "," + trigger)
		for _, c := range counts {
			total += c
			ib.WriteString("," + strconv.Itoa(c))
		}
		ib.WriteString("\n")
		avg := 50 + r.IntN(2000)
		fmt.Fprintf(&db, "%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", owner, app, fnh, avg, total, avg/2, avg*2,
			avg/2, avg/2, avg*3/4, avg, avg*5/4, avg*2, avg*2)
		mem := 128 + r.IntN(384)
		fmt.Fprintf(&mb, "%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", owner, app, 100+r.IntN(1000), mem,
			mem*8/10, mem*85/100, mem*9/10, mem, mem*11/10, mem*12/10, mem*13/10, mem*14/10)
	}
	for _, w := range []struct {
		w io.Writer
		s string
	}{{invocations, ib.String()}, {durations, db.String()}, {memory, mb.String()}} {
		if _, err := io.WriteString(w.w, w.s); err != nil {
			return err
		}
	}
	return nil
}

// synthCounts draws one function's calls per minute for class c (0–19).
func synthCounts(r *rand.Rand, c int) (trigger string, counts []int) {
	counts = make([]int, Minutes)
	switch {
	case c < 4: // timer
		period := []int{1, 2, 5, 10, 15, 30, 60}[r.IntN(7)]
		for m := r.IntN(period); m < Minutes; m += period {
			counts[m] = 1
		}
		return "timer", counts
	case c < 5: // rare timer, beyond the histogram's range
		period := 60 * []int{2, 3, 6, 8, 12}[r.IntN(5)]
		for m := r.IntN(period); m < Minutes; m += period {
			counts[m] = 1
		}
		return "timer", counts
	case c < 11: // Poisson with a diurnal swing
		meanGap := math.Exp(math.Log(10.0/60) + r.Float64()*math.Log(240/(10.0/60))) // minutes
		peak := r.Float64() * Minutes
		for m := range counts {
			swing := 1 + 0.6*math.Sin(2*math.Pi*(float64(m)-peak)/Minutes)
			counts[m] = poisson(r, swing/meanGap)
		}
		return "http", counts
	case c < 14: // frequent
		rate := 1 + r.IntN(8)
		for m := range counts {
			counts[m] = r.IntN(2 * rate)
		}
		return "http", counts
	case c < 17: // queue bursts
		for b := 0; b < 1+r.IntN(6); b++ {
			at := r.IntN(Minutes - 5)
			for m := at; m < at+1+r.IntN(5); m++ {
				counts[m] += 1 + r.IntN(20)
			}
		}
		return "queue", counts
	default: // sporadic
		for k := 0; k < 1+r.IntN(6); k++ {
			counts[r.IntN(Minutes)]++
		}
		return "event", counts
	}
}

// poisson draws from a Poisson distribution of mean lambda (Knuth's
// method; the means here are small).
func poisson(r *rand.Rand, lambda float64) int {
	limit, k, p := math.Exp(-lambda), 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}
