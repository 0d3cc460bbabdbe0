package mgmt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"

	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// decodeDeploy reads a deploy request's JSON as a json.Decoder that
// disallows unknown fields would, and returns it with its zip decoded, but
// with a fraction of the Decoder's memory: a deploy body is mostly the
// base64 zip, megabytes, and the Decoder copies it into a buffer grown by
// doubling, then into the string ZipFile, then decodes that into a third
// buffer. Here the body is read once, into a buffer that grows as its
// bytes arrive up to its announced size (never allocated from that size up
// front: a client may announce megabytes and send nothing), the other
// fields are unmarshalled from it, and the zip is decoded in place, into
// the body's own bytes. A body that takes none of that is decoded again
// the Decoder's way, so that every error reads as before; a corrupt
// zip_file is reported as a base64.CorruptInputError.
func decodeDeploy(w http.ResponseWriter, r *http.Request) (deployBody, []byte, error) {
	rd := http.MaxBytesReader(w, r.Body, wire.MaxRequestBody)
	// A body ends at its announced length, so the buffer need not grow
	// past it; MaxBytesReader refuses a longer one.
	limit := wire.MaxRequestBody
	if r.ContentLength >= 0 && r.ContentLength < wire.MaxRequestBody {
		limit = int(r.ContentLength)
	}
	data, err := wire.ReadLimited(rd, make([]byte, 0, min(limit+1, initialDeployBuffer)), limit)
	if err != nil {
		return deployBody{}, nil, err
	}
	if body, zip, ok := decodeDeployInPlace(data); ok {
		return body, zip, nil
	}
	// The Decoder's way: the first JSON value counts, unknown fields are
	// refused, and the zip is decoded afterwards.
	var body deployBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return deployBody{}, nil, err
	}
	zip, err := base64.StdEncoding.DecodeString(body.ZipFile)
	if err != nil {
		return deployBody{}, nil, err
	}
	body.ZipFile = "" // returned decoded, as on the fast path
	return body, zip, nil
}

// decodeDeployInPlace decodes data, overwriting it with the zip, when it
// is one JSON object with known keys only and a zip_file without escapes;
// otherwise it reports false and leaves data as it was.
func decodeDeployInPlace(data []byte) (deployBody, []byte, bool) {
	var fast struct {
		deployBody
		ZipFile textValue `json:"zip_file"` // decoded below, in place
	}
	if json.Unmarshal(data, &fast) != nil {
		return deployBody{}, nil, false
	}
	zip, ok := deployZip(data)
	if !ok || bytes.IndexByte(zip, '\\') >= 0 {
		return deployBody{}, nil, false // unknown keys, or escapes to undo
	}
	// Padding belongs at the end only: decoded in chunks, it would be
	// taken in the middle too.
	if i := bytes.IndexByte(zip, '='); i >= 0 && i < len(zip)-2 {
		return deployBody{}, nil, false
	}
	n, ok := decodeBase64InPlace(zip)
	if !ok {
		return deployBody{}, nil, false
	}
	return fast.deployBody, zip[:n], true
}

// initialDeployBuffer is the first buffer of a deploy body; it doubles as
// bytes arrive.
const initialDeployBuffer = 64 << 10

// textValue accepts a JSON string or null without keeping it.
type textValue struct{}

func (*textValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && (b[0] == '"' || b[0] == 'n') {
		return nil
	}
	return errors.New("not a string") // the Decoder's way says what is wrong
}

// decodeBase64InPlace decodes standard base64 without line breaks or
// misplaced padding into the start of b, or reports false and leaves b as
// it was. Each chunk is decoded through a small buffer, and what it yields
// is no longer than what it consumed, so the writes never pass the reads;
// a first pass, which writes nothing, finds any error.
func decodeBase64InPlace(b []byte) (int, bool) {
	const chunk = 4 << 10 // a multiple of 4: chunks end on whole quanta
	var buf [chunk / 4 * 3]byte
	n := 0
	for pass := range 2 {
		for i := 0; i < len(b); i += chunk {
			m, err := base64.StdEncoding.Decode(buf[:], b[i:min(i+chunk, len(b))])
			if err != nil {
				return 0, false
			}
			if pass == 1 {
				n += copy(b[n:], buf[:m])
			}
		}
	}
	return n, true
}

// deployZip returns the contents of the zip_file string of data, a JSON
// object that Unmarshal found valid (the last zip_file string when there
// are several, as Unmarshal takes the last), nil when there is none. It
// reports false when a key names no field of deployBody (matched
// case-insensitively, as Unmarshal matches them; a key written with
// escapes counts as unknown). It skips the values without parsing them: a
// second full parse would double a deploy's CPU.
func deployZip(data []byte) ([]byte, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	var zip []byte
	for i++; ; i++ { // just past '{' or ','
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' {
			return zip, true
		}
		if i >= len(data) || data[i] != '"' {
			return nil, false
		}
		end := stringEnd(data, i+1)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !deployField(string(key)) {
			return nil, false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		v := skipSpace(data, i+1)
		i = valueEnd(data, v)
		if strings.EqualFold(string(key), "zip_file") && v < len(data) && data[v] == '"' {
			zip = data[v+1 : stringEnd(data, v+1)-1] // null changes nothing
		}
		if i >= len(data) || data[i] == '}' {
			return zip, i < len(data)
		}
	}
}

// valueEnd returns the index of the ',' or '}' that follows the valid JSON
// value starting at or after data[i].
func valueEnd(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch data[i] {
		case '"':
			i = stringEnd(data, i+1)
			continue
		case '{', '[':
			depth++
		case ']':
			depth--
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return i
}

// stringEnd returns the index just past the closing quote of the valid
// JSON string whose contents start at data[i].
func stringEnd(data []byte, i int) int {
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		i += j + 1
		bs := 0 // backslashes before the quote: an odd count escapes it
		for k := i - 2; k >= 0 && data[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return i
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// deployFields are deployBody's JSON field names.
var deployFields = func() []string {
	t := reflect.TypeFor[deployBody]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return names
}()

// deployField reports whether key names a field of deployBody.
func deployField(key string) bool {
	for _, name := range deployFields {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}
