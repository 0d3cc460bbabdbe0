package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestRoutePayloadFormat: a route's payloadFormatVersion defaults to 2.0
// and its stage to $default; 1.0 and a REST stage name are kept; anything
// else is refused naming the field.
func TestRoutePayloadFormat(t *testing.T) {
	for _, tc := range []struct {
		version, stage         string
		wantVersion, wantStage string
		err                    string
	}{
		{"", "", "2.0", "$default", ""},
		{"1.0", "Prod", "1.0", "Prod", ""},
		{"2.0", "$default", "2.0", "$default", ""},
		{"1.0", "v1_beta-2", "1.0", "v1_beta-2", ""},
		{"1", "", "", "", "payloadFormatVersion \"1\" is not 1.0 or 2.0"},
		{"3.0", "", "", "", "payloadFormatVersion"},
		{"1.0", "Prod stage", "", "", "stage \"Prod stage\""},
		{"1.0", "$prod", "", "", "stage \"$prod\""},
		{"1.0", strings.Repeat("s", 129), "", "", "stage"},
	} {
		r := Route{Key: "GET /hello", Function: "f", PayloadFormatVersion: tc.version, Stage: tc.stage}
		err := r.Validate()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: got %v, want an error with %q", tc.version, tc.stage, err, tc.err)
			}
			continue
		}
		if err != nil || r.PayloadFormatVersion != tc.wantVersion || r.Stage != tc.wantStage {
			t.Errorf("%q %q: got %q %q %v", tc.version, tc.stage, r.PayloadFormatVersion, r.Stage, err)
		}
	}
}

// TestTriggerPayloadFormat: updraft.yaml's http trigger takes
// payloadFormatVersion (quoted, or the number YAML makes of 1.0) and stage.
func TestTriggerPayloadFormat(t *testing.T) {
	f := &fn.Function{Tenant: "default", Name: "hello"}
	tr := NewTriggers(nil, nil)
	for _, tc := range []struct {
		spec    string
		version string
		err     string
	}{
		{`{"type":"http","route":"GET /hello"}`, "2.0", ""},
		{`{"type":"http","route":"GET /hello","payloadFormatVersion":"1.0","stage":"Prod"}`, "1.0", ""},
		{`{"type":"http","route":"GET /hello","payloadFormatVersion":1.0}`, "1.0", ""},
		{`{"type":"http","route":"GET /hello","payloadFormatVersion":2}`, "2.0", ""},
		{`{"type":"http","route":"GET /hello","payloadFormatVersion":"1.1"}`, "", `payloadFormatVersion must be "1.0" or "2.0", not "1.1"`},
		{`{"type":"http","route":"GET /hello","payloadFormatVersion":[1]}`, "", "payloadFormatVersion must be"},
		{`{"type":"http","route":"GET /hello","stage":"a b"}`, "", `stage "a b"`},
	} {
		specs := []json.RawMessage{json.RawMessage(tc.spec)}
		err := tr.Check(context.Background(), f, specs)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error with %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		decoded, _ := decodeSpecs(f, specs)
		r, _, _ := decoded[0].route(f)
		if err := r.Validate(); err != nil || r.PayloadFormatVersion != tc.version {
			t.Errorf("%s: version %q %v, want %q", tc.spec, r.PayloadFormatVersion, err, tc.version)
		}
	}
}
