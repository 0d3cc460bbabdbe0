package logs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func FuzzAppendEntry(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" and \\ back", "tab\tnew\nline\r", "\x00\x1f\x7f", "bad \xff\xfe utf8", "é ü 漢字 😀", "\u2028\u2029", "<html>&amp;"} {
		f.Add(s, "req-1")
	}
	f.Fuzz(func(t *testing.T, msg, id string) {
		e := fn.LogEntry{Time: time.Date(2026, 11, 23, 19, 0, 0, 123456789, time.UTC), Function: "fn-1", RequestID: id, Message: msg}
		got := appendEntry(nil, &e)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON %q", got)
		}
		var a, b fn.LogEntry
		want, _ := json.Marshal(e)
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("decoded %+v, json.Marshal's decodes to %+v", b, a)
		}
	})
}

func BenchmarkAppendEntry(b *testing.B) {
	e := fn.LogEntry{Time: time.Now(), Function: "hello", RequestID: "8f507cfc-1111-4697-b07a-ac58fc914c95",
		Message: "REPORT RequestId: 8f507cfc-1111-4697-b07a-ac58fc914c95\tDuration: 1.23 ms\tBilled Duration: 2 ms"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEntry(buf[:0], &e)
	}
}
