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
	}
	for _, tt := range tests {
		if got := ReportLine(tt.r); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
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
