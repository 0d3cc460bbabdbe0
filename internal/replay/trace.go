package replay

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Minutes is the length of a trace day.
const Minutes = 1440

// Function is one function of the trace.
type Function struct {
	Owner, App, Hash string
	Counts           []int   // per minute
	DurationMs       float64 // average
	MemoryMB         int     // the app's average allocated memory
}

// Key identifies the function.
func (f *Function) Key() string { return f.Owner + "/" + f.App + "/" + f.Hash }

// Trace is a parsed workload.
type Trace struct{ Functions []*Function }

func header(r *csv.Reader, file string, need ...string) (map[string]int, error) {
	h, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", file, err)
	}
	idx := map[string]int{}
	for i, name := range h {
		idx[strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))] = i
	}
	for _, n := range need {
		if _, ok := idx[n]; !ok {
			return nil, fmt.Errorf("%s: no %q column in the header", file, n)
		}
	}
	return idx, nil
}

// Parse reads the three files; durations and memory may be nil.
func Parse(invocations, durations, memory io.Reader) (*Trace, error) {
	r := csv.NewReader(invocations)
	r.ReuseRecord = true
	idx, err := header(r, "invocations", "HashOwner", "HashApp", "HashFunction")
	if err != nil {
		return nil, err
	}
	minuteCol := make([]int, Minutes)
	for m := 1; m <= Minutes; m++ {
		i, ok := idx[strconv.Itoa(m)]
		if !ok {
			i, ok = idx["minute_"+strconv.Itoa(m)]
		}
		if !ok {
			minuteCol[m-1] = -1
			continue
		}
		minuteCol[m-1] = i
	}
	t := &Trace{}
	byKey := map[string]*Function{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invocations line %d: %w", line, err)
		}
		f := &Function{Owner: rec[idx["HashOwner"]], App: rec[idx["HashApp"]], Hash: rec[idx["HashFunction"]], Counts: make([]int, Minutes)}
		for m, i := range minuteCol {
			if i < 0 || i >= len(rec) || rec[i] == "" {
				continue
			}
			n, err := strconv.ParseFloat(rec[i], 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("invocations line %d minute %d: %q is not a count", line, m+1, rec[i])
			}
			f.Counts[m] = int(n)
		}
		f.DurationMs, f.MemoryMB = 1000, 128
		t.Functions = append(t.Functions, f)
		byKey[f.Key()] = f
	}
	if durations != nil {
		if err := parseDurations(durations, byKey); err != nil {
			return nil, err
		}
	}
	if memory != nil {
		if err := parseMemory(memory, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func parseDurations(in io.Reader, byKey map[string]*Function) error {
	r := csv.NewReader(in)
	idx, err := header(r, "durations", "HashOwner", "HashApp", "HashFunction", "Average")
	if err != nil {
		return err
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("durations line %d: %w", line, err)
		}
		f := byKey[rec[idx["HashOwner"]]+"/"+rec[idx["HashApp"]]+"/"+rec[idx["HashFunction"]]]
		if f == nil {
			continue
		}
		d, err := strconv.ParseFloat(rec[idx["Average"]], 64)
		if err != nil || d < 0 {
			return fmt.Errorf("durations line %d: Average %q is not a duration in ms", line, rec[idx["Average"]])
		}
		f.DurationMs = d
	}
}

func parseMemory(in io.Reader, t *Trace) error {
	r := csv.NewReader(in)
	idx, err := header(r, "memory", "HashOwner", "HashApp", "AverageAllocatedMb")
	if err != nil {
		return err
	}
	apps := map[string]int{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("memory line %d: %w", line, err)
		}
		mb, err := strconv.ParseFloat(rec[idx["AverageAllocatedMb"]], 64)
		if err != nil || mb < 0 {
			return fmt.Errorf("memory line %d: AverageAllocatedMb %q is not a number", line, rec[idx["AverageAllocatedMb"]])
		}
		apps[rec[idx["HashOwner"]]+"/"+rec[idx["HashApp"]]] = max(int(mb), 1)
	}
	for _, f := range t.Functions {
		if mb, ok := apps[f.Owner+"/"+f.App]; ok {
			f.MemoryMB = mb
		}
	}
	return nil
}
