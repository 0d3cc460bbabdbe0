package sqs

import "testing"

// TestMD5OfAttributes checks the digest against the values of AWS's
// documented example (a gas station's SellerName, City, …), which SDKs
// that verify MD5OfMessageAttributes compute the same way.
func TestMD5OfAttributes(t *testing.T) {
	s := func(v string) msgAttr { return msgAttr{DataType: "String", StringValue: &v} }
	n := func(v string) msgAttr { return msgAttr{DataType: "Number", StringValue: &v} }
	cases := []struct {
		attrs map[string]msgAttr
		want  string
	}{
		{map[string]msgAttr{"SellerName": s("Example Store")}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{map[string]msgAttr{"City": s("Any City"), "PostalCode": s("99065"), "Region": s("WA"), "SellerName": s("Example Store")},
			"66d793da93becb551e41562575418975"},
		{map[string]msgAttr{"City": s("Any City"), "PostalCode": s("99065"), "PricePerGallon": n("1.99"), "Region": s("WA"), "SellerName": s("Example Store")},
			"10809b55e3d9b22c17220b7dbaf283ef"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := md5OfAttributes(c.attrs); got != c.want {
			t.Errorf("md5OfAttributes(%d attributes) = %q, want %q", len(c.attrs), got, c.want)
		}
	}
	if got := md5Hex("hello"); got != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("md5Hex(hello) = %s", got)
	}
}
