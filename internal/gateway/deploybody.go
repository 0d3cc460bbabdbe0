package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
)

// decodeDeploy reads a deploy request's JSON as a json.Decoder that
// disallows unknown fields would, and returns it with its zip decoded, but
// with a fraction of the Decoder's memory: a deploy body is mostly the
// base64 zip, megabytes, and the Decoder copies it into a buffer grown by
// doubling, then into the string ZipFile to be decoded. Here the body is
// read once into a buffer of its announced size and unmarshalled in
// place, the zip decoded straight from it. A body that fails that is
// decoded again the Decoder's way, so that every error reads as before; a
// corrupt zip_file is reported as a base64.CorruptInputError.
func decodeDeploy(w http.ResponseWriter, r *http.Request) (deployBody, []byte, error) {
	rd := http.MaxBytesReader(w, r.Body, maxDeployBody)
	// One byte over the announced size lets the read see EOF without growing.
	size := min(max(r.ContentLength, 0), maxDeployBody) + 1
	data, err := readLimited(rd, make([]byte, 0, size), maxDeployBody)
	if err != nil {
		return deployBody{}, nil, err
	}
	var fast struct {
		deployBody
		ZipFile []byte `json:"zip_file"` // base64, decoded by Unmarshal
	}
	if json.Unmarshal(data, &fast) == nil && knownDeployFields(data) {
		return fast.deployBody, fast.ZipFile, nil
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

// knownDeployFields reports whether data, a JSON object that Unmarshal
// found valid, has only keys that name fields of deployBody, matched
// case-insensitively as Unmarshal matches them. It skips the values
// without parsing them: a second full parse would double a deploy's CPU.
// A key written with escapes counts as unknown.
func knownDeployFields(data []byte) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	for i++; ; i++ { // just past '{' or ','
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' {
			return true
		}
		if i >= len(data) || data[i] != '"' {
			return false
		}
		end := stringEnd(data, i+1)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !deployField(string(key)) {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = valueEnd(data, i+1)
		if i >= len(data) || data[i] == '}' {
			return i < len(data)
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
