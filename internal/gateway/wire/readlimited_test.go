package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadLimitedGrowsAsBytesArrive: the buffer follows what arrived, not
// the limit, and its last growth stops at limit+1.
func TestReadLimitedGrowsAsBytesArrive(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 3000)
	for _, tc := range []struct {
		name   string
		r      io.Reader
		limit  int
		maxCap int
	}{
		{"few bytes of a huge limit", bytes.NewReader(data[:1000]), 50 << 20, 1024},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:1000])), 50 << 20, 1024},
		{"limit is the length", bytes.NewReader(data), len(data), len(data) + 1},
	} {
		got, err := ReadLimited(tc.r, nil, tc.limit)
		if err != nil || !bytes.Equal(got, data[:len(got)]) || cap(got) > tc.maxCap {
			t.Errorf("%s: %d bytes, cap %d, %v; want cap at most %d", tc.name, len(got), cap(got), err, tc.maxCap)
		}
	}
	if _, err := ReadLimited(strings.NewReader("0123456789"), nil, 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10 bytes with limit 9: %v, want ErrTooLarge", err)
	}
	if got, err := ReadLimited(strings.NewReader("0123456789"), nil, 10); err != nil || string(got) != "0123456789" {
		t.Errorf("10 bytes with limit 10: %q %v", got, err)
	}
}
