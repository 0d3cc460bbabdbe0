package event

import "testing"

// Digests pinned by moto's SQS tests (tests/test_sqs), which the botocore
// client verifies against the same algorithm AWS uses, and by AWS's
// SendMessage and Lambda examples for bodies.
func TestMD5OfBody(t *testing.T) {
	for body, want := range map[string]string{
		"This is a test message": "fafb00f5732ab283681e124bf8747ed1",
		"Test message.":          "e4e68fb7bd0e697a0ae8f1bb342846b3",
		"derp":                   "58fd9edd83341c29f1aebba81c31e257",
		"test":                   "098f6bcd4621d373cade4e832627b4f6",
	} {
		if got := MD5OfBody(body); got != want {
			t.Errorf("MD5OfBody(%q) = %s, want %s", body, got, want)
		}
	}
}

func TestMD5OfMessageAttributes(t *testing.T) {
	cases := []struct {
		name  string
		attrs map[string]SQSMessageAttribute
		want  string
	}{
		{"moto timestamp 1493147359900", map[string]SQSMessageAttribute{
			"timestamp": StringAttribute("Number", "1493147359900")}, "235c5c510d26fb653d073faed50ae77c"},
		{"moto timestamp 1493147359901", map[string]SQSMessageAttribute{
			"timestamp": StringAttribute("Number", "1493147359901")}, "994258b45346a2cc3f9cbb611aa7af30"},
		{"moto dotted name", map[string]SQSMessageAttribute{
			"SOME_Valid.attribute-Name": StringAttribute("Number", "1493147359900")}, "36655e7e9d7c0e8479fa3f3f42247ae7"},
		{"moto complex attributes", map[string]SQSMessageAttribute{
			"ccc":             StringAttribute("String", "testjunk"),
			"aaa":             BinaryAttribute("Binary", []byte{2, 3, 4}),
			"zzz":             StringAttribute("Number", "0230.01"),
			"öther_encodings": StringAttribute("String", "Tüst"),
		}, "8ae21a7957029ef04146b42aeaa18a22"},
		{"no attributes", nil, ""},
	}
	for _, c := range cases {
		if got := MD5OfMessageAttributes(c.attrs); got != c.want {
			t.Errorf("%s: MD5OfMessageAttributes = %q, want %q", c.name, got, c.want)
		}
	}
}
