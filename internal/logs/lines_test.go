package logs

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestStartEndLines(t *testing.T) {
	if got, want := StartLine("abc-1", "$LATEST"), "START RequestId: abc-1 Version: $LATEST"; got != want {
		t.Errorf("StartLine = %q, want %q", got, want)
	}
	if got, want := EndLine("abc-1"), "END RequestId: abc-1"; got != want {
		t.Errorf("EndLine = %q, want %q", got, want)
	}
}

func TestReportLine(t *testing.T) {
	warm := Report{RequestID: "r1", Duration: 1234 * time.Microsecond, BilledMs: 2, MemoryMB: 128, MaxMemoryMB: 20}
	cold := warm
	cold.InitDuration = 4562 * time.Microsecond
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"warm", warm, "REPORT RequestId: r1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB"},
		{"cold", cold, "REPORT RequestId: r1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 4.56 ms"},
		{"long", Report{RequestID: "r2", Duration: 2*time.Second + 5*time.Microsecond, BilledMs: 2001, MemoryMB: 1024, MaxMemoryMB: 512},
			"REPORT RequestId: r2\tDuration: 2000.01 ms\tBilled Duration: 2001 ms\tMemory Size: 1024 MB\tMax Memory Used: 512 MB"},
		{"timeout", Report{RequestID: "r3", Duration: 3 * time.Second, BilledMs: 3000, MemoryMB: 128, MaxMemoryMB: 40, Status: StatusTimeout},
			"REPORT RequestId: r3\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout"},
		{"oom", Report{RequestID: "r4", Duration: time.Second, BilledMs: 1000, MemoryMB: 128, MaxMemoryMB: 128, InitDuration: time.Millisecond,
			Status: StatusError, ErrorType: "Runtime.OutOfMemory"},
			"REPORT RequestId: r4\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tInit Duration: 1.00 ms\tStatus: error\tError Type: Runtime.OutOfMemory"},
	}
	for _, tt := range tests {
		if got := ReportLine(tt.r); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestTimeoutLine(t *testing.T) {
	at := time.Date(2026, 1, 2, 4, 4, 5, 678_900_000, time.FixedZone("CET", 3600))
	got := TimeoutLine(at, "r1", 3*time.Second)
	if want := "2026-01-02T03:04:05.678Z r1 Task timed out after 3.00 seconds"; got != want {
		t.Errorf("TimeoutLine = %q, want %q", got, want)
	}
}

func TestErrorLines(t *testing.T) {
	tests := []struct {
		name, errorType, payload string
		want                     []string
	}{
		{"crash", "Runtime.ExitError", `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: r1 Error: Runtime exited with error: exit status 3"}`,
			[]string{"RequestId: r1 Error: Runtime exited with error: exit status 3", "Runtime.ExitError"}},
		{"init", "Runtime.ExitError", `{"errorType":"Runtime.ExitError","errorMessage":"Error: Runtime exited with error: signal: killed"}`,
			[]string{"RequestId: r1 Error: Runtime exited with error: signal: killed", "Runtime.ExitError"}},
		{"posted by the runtime", "Runtime.ImportModuleError", `{"errorType":"Runtime.ImportModuleError","errorMessage":"Unable to import module 'app'"}`,
			[]string{"RequestId: r1 Error: Unable to import module 'app'", "Runtime.ImportModuleError"}},
		{"not json", "", "line one\nline two",
			[]string{"RequestId: r1 Error: line one", "line two"}},
	}
	for _, tt := range tests {
		if got := ErrorLines("r1", tt.errorType, []byte(tt.payload)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ErrorLines = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{"one", []string{"one"}},
		{"one\n", []string{"one"}},
		{"one\ntwo", []string{"one", "two"}},
		{"one\r\ntwo\r\n", []string{"one", "two"}},
		{"a\n\nb\n", []string{"a", "", "b"}},
		{"a\n\n", []string{"a", ""}},
		{"\n", []string{""}},
		{"a\rb\n", []string{"a\rb"}},
		{"bad \xff byte\n", []string{"bad \uFFFD byte"}},
	}
	for _, tt := range tests {
		if got := SplitLines([]byte(tt.raw)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitLines(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	short := "hello"
	if truncate(short) != short {
		t.Fatal("short line changed")
	}
	long := strings.Repeat("é", maxMessageBytes) // 2 bytes a rune
	got := truncate(long)
	if len(got) > maxMessageBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, truncatedMark) {
		t.Fatalf("truncate: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
