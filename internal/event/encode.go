package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Encode marshals an event as AWS writes it: compact, without escaping &, <
// and > (so URLs read as in AWS's messages).
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
