package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeDeployLikeDecoder checks decodeDeploy against what a
// json.Decoder with DisallowUnknownFields and a string zip_file decoded
// with base64.StdEncoding reports.
func TestDecodeDeployLikeDecoder(t *testing.T) {
	zip := base64.StdEncoding.EncodeToString([]byte("PK\x03\x04 some zip bytes"))
	big := make([]byte, 10000) // several chunks of the in-place decoding
	for i := range big {
		big[i] = byte(i * 7)
	}
	bigZip := base64.StdEncoding.EncodeToString(big)
	bodies := []string{
		`{"name":"a","runtime":"provided","memory_mb":256,"env":{"X":"1","Y":"2"},"zip_file":"` + zip + `"}`,
		`{"NAME":"a","Zip_File":"` + zip + `"}`,
		` {"name":"a","zip_file":"` + zip + `"} `,
		`{"name":"a","zip_file":"` + zip[:5] + `\/` + zip[5:] + `"}`,
		`{"name":"a","zip_file":""}`,
		`{"name":"a"}`,
		`null`,
		``,
		"  \n",
		`{"name":"a","zip_file":"` + zip,
		`{"name":"a",`,
		`{"name":"a","zip_file":"!!!"}`,
		`{"name":"a","bogus":1,"zip_file":"` + zip + `"}`,
		`{"zz":1,"name":"a","aa":2}`,
		`{"name":"a","bogus":1,"zip_file":"!!!"}`,
		`{"name":7,"zip_file":"` + zip + `"}`,
		`{"memory_mb":"big","zip_file":"` + zip + `"}`,
		`[1,2]`,
		`"zip"`,
		`{"name":"a" "zip_file":"x"}`,
		`{"name":"a","zip_file":"` + zip + `"} trailing`,
		`{"name":"a,}\"{","env":{"K":"v}","L":"[,]","bogus":"1"},"zip_file":"` + zip + `"}`,
		" {\n \"name\" : \"a\" ,\t\"zip_file\" : \"" + zip + "\" , \"env\" : { } }\n",
		`{"n\u0061me":"a","zip_file":"` + zip + `"}`,
		`{"b\u006fgus":"a","zip_file":"` + zip + `"}`,
		`{"name":"a\\","handler":"\\\"","zip_file":"` + zip + `"}`,
		`{"env":{"a":["}",{"b":","}]},"zip_file":"` + zip + `"}`,
		`{"env":null,"memory_mb":128,"timeout_s":3,"zip_file":"` + zip + `"}`,
		`{}`,
		`{"name":"a","zip_file":"` + bigZip + `"}`,
		`{"name":"a","zip_file":"` + bigZip[:4096] + `====` + bigZip[4096:] + `"}`,
		`{"name":"a","zip_file":"` + bigZip[:4092] + `QQ==` + bigZip[4096:] + `"}`,
		`{"name":"a","zip_file":"` + bigZip[:8000] + `!` + bigZip[8001:] + `"}`,
		`{"name":"a","zip_file":"` + bigZip[:len(bigZip)-1] + `"}`,
		`{"name":"a","zip_file":"QUJD"}`,
		`{"name":"a","zip_file":"QUI="}`,
		`{"name":"a","zip_file":"QQ=="}`,
		`{"name":"a","zip_file":"QQ=A"}`,
		`{"name":"a","zip_file":"Q==="}`,
		`{"name":"a","zip_file":"QR=="}`,
		`{"name":"a","zip_file":null}`,
		`{"name":"a","zip_file":12}`,
		`{"name":"a","zip_file":"` + zip + `","ZIP_FILE":"QUJD"}`,
		`{"name":"a","zip_file":"QUJD","zip_file":null}`,
		`{"name":"a","zip_file":"` + zip + `"}{"name":"b"}`,
		`{"name":"a","zip_file":"` + zip + `","zip_file":"!!"}`,
	}
	for _, body := range bodies {
		want, wantBody, wantZip := referenceDecode(body)
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/functions", strings.NewReader(body))
		gotBody, gotZip, err := decodeDeploy(w, r)
		if errString(err) != want {
			t.Errorf("%.60s: error %q, want %q", body, errString(err), want)
			continue
		}
		if err == nil && (string(gotZip) != wantZip || !reflect.DeepEqual(gotBody, wantBody)) {
			t.Errorf("%.60s: %+v zip %q, want %+v zip %q", body, gotBody, gotZip, wantBody, wantZip)
		}
		var b64 base64.CorruptInputError
		if strings.Contains(want, "base64") != errors.As(err, &b64) {
			t.Errorf("%.60s: %v is not reported as a base64 error", body, err)
		}
	}
}

// referenceDecode is the streaming Decoder the deploy handler used before.
func referenceDecode(body string) (string, deployBody, string) {
	var v deployBody
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err.Error(), deployBody{}, ""
	}
	zip, err := base64.StdEncoding.DecodeString(v.ZipFile)
	if err != nil {
		return "base64: " + err.Error(), deployBody{}, ""
	}
	v.ZipFile = ""
	return "", v, string(zip)
}

func errString(err error) string {
	var b64 base64.CorruptInputError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &b64):
		return "base64: " + err.Error()
	}
	return err.Error()
}
