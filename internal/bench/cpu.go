package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// cpuTime is the user plus system CPU time pid has used so far, all its
// threads, living and exited, but not its children (function processes).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// measured runs load while it reads pid's CPU time, and returns the load's
// result and pid's CPU time per successful call, warm-up included.
func measured(pid int, load func() LoadResult) (LoadResult, time.Duration, error) {
	before, err := cpuTime(pid)
	if err != nil {
		return LoadResult{}, 0, err
	}
	res := load()
	after, err := cpuTime(pid)
	if err != nil {
		return res, 0, err
	}
	if res.Calls == 0 {
		return res, 0, fmt.Errorf("no call succeeded: %s", res.FirstError)
	}
	return res, (after - before) / time.Duration(res.Calls), nil
}
