package replay

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Synthesize writes a synthetic trace of n functions in the exact format of
// the Azure Functions 2019 dataset (invocations, durations, memory), from
// seed. The mix: periodic functions (timers every 5–60 minutes), frequent
// ones (several calls a minute), and rare bursty ones.
func Synthesize(n int, seed uint64, invocations, durations, memory io.Writer) error {
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
		counts := make([]int, Minutes)
		trigger := "timer"
		switch k := i % 4; k {
		case 0, 1: // periodic timer
			period := []int{5, 10, 15, 30, 60}[r.IntN(5)]
			phase := r.IntN(period)
			for m := phase; m < Minutes; m += period {
				counts[m] = 1
			}
		case 2: // frequent
			trigger = "http"
			rate := 1 + r.IntN(8)
			for m := range counts {
				counts[m] = r.IntN(2 * rate)
			}
		default: // rare bursts
			trigger = "queue"
			for b := 0; b < 1+r.IntN(6); b++ {
				at := r.IntN(Minutes - 5)
				for m := at; m < at+1+r.IntN(5); m++ {
					counts[m] += 1 + r.IntN(20)
				}
			}
		}
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
