package gateway

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// awsChunked is the example of AWS's "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks": 64 KiB
// and 1 KiB of 'a', signed with the documentation's example key.
func awsChunked(sig3 string) string {
	return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
		strings.Repeat("a", 65536) + "\r\n" +
		"400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
		strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=" + sig3 + "\r\n\r\n"
}

func signedChunked(body string) *chunkedBody {
	seed, _ := hex.DecodeString("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	return &chunkedBody{
		br: bufio.NewReader(strings.NewReader(body)), body: io.NopCloser(nil),
		key:  signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
		prev: hex.EncodeToString(seed), scope: "20130524/us-east-1/s3/aws4_request", date: "20130524T000000Z",
	}
}

func TestChunkedSignaturesOfAWSExample(t *testing.T) {
	got, err := io.ReadAll(signedChunked(awsChunked("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.Repeat("a", 66560) {
		t.Fatalf("decoded %d bytes", len(got))
	}
	// A changed byte, or a changed final signature, fails the last Read.
	for name, body := range map[string]string{
		"changed byte":      strings.Replace(awsChunked("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"), "aaaa", "aaab", 1),
		"changed signature": awsChunked("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df0"),
	} {
		_, err := io.ReadAll(signedChunked(body))
		if fe := fn.AsError(err); err == nil || fe.Type != fn.TypeInvalidSignature {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestUnsignedChunkedTrailerChecksum(t *testing.T) {
	data := "hello, trailer"
	sum := crc32.ChecksumIEEE([]byte(data))
	good := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	body := func(crc string) io.Reader {
		return &chunkedBody{
			br:   bufio.NewReader(strings.NewReader("e\r\n" + data + "\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n")),
			body: io.NopCloser(nil), trailing: true, trailer: "x-amz-checksum-crc32",
			check: &checksum{name: "x-amz-checksum-crc32", h: crc32.NewIEEE()},
		}
	}
	got, err := io.ReadAll(body(good))
	if err != nil || string(got) != data {
		t.Fatalf("%q, %v", got, err)
	}
	_, err = io.ReadAll(body("AAAAAA=="))
	if fe := fn.AsError(err); err == nil || fe.Type != "BadDigest" {
		t.Fatalf("a wrong trailer checksum: %v", err)
	}
	_, err = io.ReadAll(&chunkedBody{br: bufio.NewReader(strings.NewReader("zz\r\n")), body: io.NopCloser(nil)})
	if fe := fn.AsError(err); err == nil || fe.Type != "IncompleteBody" {
		t.Fatalf("a malformed chunk: %v", err)
	}
}

func TestVerifyingBodyRefusesAChangedPayload(t *testing.T) {
	want, _ := hex.DecodeString("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") // sha256("hello")
	v := &verifyingBody{r: io.NopCloser(bytes.NewReader([]byte("hellO"))), h: newChecksum("x-amz-checksum-sha256"), want: want, sig: true}
	if _, err := io.ReadAll(v); fn.AsError(err).Type != fn.TypeInvalidSignature {
		t.Fatalf("got %v", err)
	}
}
