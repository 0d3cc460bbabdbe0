package replay

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func synth(t *testing.T, n int) *Trace {
	t.Helper()
	var inv, dur, mem bytes.Buffer
	if err := Synthesize(n, 7, &inv, &dur, &mem); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := strings.Cut(inv.String(), "\n"); !strings.HasPrefix(h, "HashOwner,HashApp,HashFunction,Trigger,1,2,3,") || !strings.HasSuffix(h, ",1440") {
		t.Fatalf("invocations header: %.80s…", h)
	}
	tr, err := Parse(&inv, &dur, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Functions) != n {
		t.Fatalf("%d functions, want %d", len(tr.Functions), n)
	}
	return tr
}

func TestParseByHeaderName(t *testing.T) {
	inv := "HashApp,HashFunction,HashOwner," + minuteHeader("minute_") + "\n" + "a,f,o," + strings.Repeat("0,", Minutes-1) + "3\n"
	dur := "HashFunction,HashOwner,HashApp,Count,Average\nf,o,a,3,250\n"
	mem := "HashApp,HashOwner,SampleCount,AverageAllocatedMb\na,o,1,300\n"
	tr, err := Parse(strings.NewReader(inv), strings.NewReader(dur), strings.NewReader(mem))
	if err != nil {
		t.Fatal(err)
	}
	f := tr.Functions[0]
	if f.Key() != "o/a/f" || f.Counts[Minutes-1] != 3 || f.DurationMs != 250 || f.MemoryMB != 300 {
		t.Fatalf("parsed %+v", f)
	}
	if _, err := Parse(strings.NewReader("HashOwner,HashApp\n"), nil, nil); err == nil {
		t.Fatal("a header without HashFunction was accepted")
	}
}

func minuteHeader(prefix string) string {
	var b strings.Builder
	for m := 1; m <= Minutes; m++ {
		if m > 1 {
			b.WriteByte(',')
		}
		b.WriteString(prefix)
		b.WriteString(itoa(m))
	}
	return b.String()
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestReplayFixedVsAdaptive(t *testing.T) {
	tr := synth(t, 40)
	var want int64
	active := 0
	for _, f := range tr.Functions {
		n := 0
		for _, c := range f.Counts {
			n += c
		}
		want += int64(n)
		if n > 0 {
			active++
		}
	}
	ctx := context.Background()
	t0 := time.Now()
	fixed, err := Run(ctx, tr, Options{Policy: "fixed:10m"})
	if err != nil {
		t.Fatal(err)
	}
	adaptive, err := Run(ctx, tr, Options{Policy: "adaptive"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fixed %+v\nadaptive %+v\n(%v)", *fixed, *adaptive, time.Since(t0))
	for _, r := range []*Result{fixed, adaptive} {
		if r.Invocations != want {
			t.Errorf("%s: %d invocations, want %d", r.Policy, r.Invocations, want)
		}
		if r.ColdStarts < int64(active) || r.ColdStarts > r.Invocations {
			t.Errorf("%s: %d cold starts for %d active functions", r.Policy, r.ColdStarts, active)
		}
		if r.IdleGBs <= 0 {
			t.Errorf("%s: idle GB-s %v", r.Policy, r.IdleGBs)
		}
	}
	// Learning the timers' periods must beat a 10-minute window on them.
	if adaptive.ColdFraction >= fixed.ColdFraction {
		t.Errorf("adaptive cold fraction %.3f not below fixed:10m's %.3f", adaptive.ColdFraction, fixed.ColdFraction)
	}
	// A budget smaller than the working set costs cold starts.
	tight, err := Run(ctx, tr, Options{Policy: "fixed:10m", IdleBudgetMB: 256})
	if err != nil {
		t.Fatal(err)
	}
	if tight.ColdStarts <= fixed.ColdStarts || tight.IdleGBs >= fixed.IdleGBs {
		t.Errorf("budget 256 MB: %+v vs unbounded %+v", *tight, *fixed)
	}
}
