package topic

import (
	"errors"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func str(v string) MessageAttribute { return MessageAttribute{DataType: "String", StringValue: v} }
func num(v string) MessageAttribute { return MessageAttribute{DataType: "Number", StringValue: v} }
func list(v string) MessageAttribute {
	return MessageAttribute{DataType: "String.Array", StringValue: v}
}

type attrs = map[string]MessageAttribute

// msg is one message a case checks: attributes (MessageAttributes scope) or
// a body (MessageBody scope), and whether the policy accepts it.
type msg struct {
	attrs attrs
	body  string
	want  bool
}

// The cases are the examples of Amazon SNS's developer guide, named after
// the page and section they come from.
var docCases = []struct {
	name   string
	scope  string
	policy string
	msgs   []msg
}{
	{"string-value-matching/exact", "", `{"customer_interests": ["rugby", "tennis"]}`, []msg{
		{attrs: attrs{"customer_interests": str("rugby")}, want: true},
		{attrs: attrs{"customer_interests": str("tennis")}, want: true},
		{attrs: attrs{"customer_interests": list(`["rugby", "tennis"]`)}, want: true},
		{attrs: attrs{"customer_interests": str("baseball")}, want: false},
		{attrs: attrs{"customer_interests": list(`["baseball"]`)}, want: false},
	}},
	{"string-value-matching/exact body", ScopeMessageBody, `{"customer_interests": ["rugby", "tennis"]}`, []msg{
		{body: `{"customer_interests": "rugby"}`, want: true},
		{body: `{"customer_interests": "tennis"}`, want: true},
		{body: `{"customer_interests": "baseball"}`, want: false},
	}},
	{"string-value-matching/prefix", "", `{"customer_interests": [{"prefix": "bas"}]}`, []msg{
		{attrs: attrs{"customer_interests": str("baseball")}, want: true},
		{attrs: attrs{"customer_interests": str("basketball")}, want: true},
		{attrs: attrs{"customer_interests": str("rugby")}, want: false},
	}},
	{"string-value-matching/suffix", "", `{"customer_interests": [{"suffix": "ball"}]}`, []msg{
		{attrs: attrs{"customer_interests": str("baseball")}, want: true},
		{attrs: attrs{"customer_interests": str("basketball")}, want: true},
		{attrs: attrs{"customer_interests": str("rugby")}, want: false},
	}},
	{"string-value-matching/equals-ignore-case", "", `{"customer_interests": [{"equals-ignore-case": "tennis"}]}`, []msg{
		{attrs: attrs{"customer_interests": str("TENNIS")}, want: true},
		{attrs: attrs{"customer_interests": str("Tennis")}, want: true},
		{attrs: attrs{"customer_interests": str("baseball")}, want: false},
	}},
	{"string-value-matching/anything-but", "", `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`, []msg{
		{attrs: attrs{"customer_interests": str("baseball")}, want: true},
		{attrs: attrs{"customer_interests": str("football")}, want: true},
		{attrs: attrs{"customer_interests": list(`["rugby", "baseball"]`)}, want: true},
		{attrs: attrs{"customer_interests": str("rugby")}, want: false},
		{attrs: attrs{"other": str("x")}, want: false},
	}},
	{"string-value-matching/anything-but body", ScopeMessageBody, `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`, []msg{
		{body: `{"customer_interests": "baseball"}`, want: true},
		{body: `{"customer_interests": ["rugby", "baseball"]}`, want: true},
		{body: `{"customer_interests": "rugby"}`, want: false},
	}},
	{"string-value-matching/anything-but combined with exists false", "", `{"customer_interests": [{"anything-but": ["rugby"]}, {"exists": false}]}`, []msg{
		{attrs: attrs{"customer_interests": str("baseball")}, want: true},
		{attrs: attrs{"store": str("fans")}, want: true},
		{attrs: attrs{"customer_interests": str("rugby")}, want: false},
	}},
	{"string-value-matching/anything-but prefix", "", `{"event": [{"anything-but": {"prefix": "order-"}}]}`, []msg{
		{attrs: attrs{"event": str("data-entry")}, want: true},
		{attrs: attrs{"event": str("order_number")}, want: true},
		{attrs: attrs{"event": str("order-cancelled")}, want: false},
	}},
	{"string-value-matching/ip address", "", `{"source_ip": [{"cidr": "10.0.0.0/24"}]}`, []msg{
		{attrs: attrs{"source_ip": str("10.0.0.0")}, want: true},
		{attrs: attrs{"source_ip": str("10.0.0.255")}, want: true},
		{attrs: attrs{"source_ip": str("10.1.1.0")}, want: false},
	}},
	{"numeric-value-matching/exact", "", `{"price_usd": [{"numeric": ["=", 301.5]}]}`, []msg{
		{attrs: attrs{"price_usd": num("301.5")}, want: true},
		{attrs: attrs{"price_usd": num("3.015e2")}, want: true},
		{attrs: attrs{"price_usd": num("301.6")}, want: false},
		{attrs: attrs{"price_usd": str("301.5")}, want: false},
	}},
	{"numeric-value-matching/exact body", ScopeMessageBody, `{"price_usd": [{"numeric": ["=", 301.5]}]}`, []msg{
		{body: `{"price_usd": 301.5}`, want: true},
		{body: `{"price_usd": 3.015e2}`, want: true},
		{body: `{"price_usd": "301.5"}`, want: false},
	}},
	{"numeric-value-matching/anything-but", "", `{"price": [{"anything-but": [100, 500]}]}`, []msg{
		{attrs: attrs{"price": num("101")}, want: true},
		{attrs: attrs{"price": num("100.1")}, want: true},
		{attrs: attrs{"price": MessageAttribute{DataType: "Number.Array", StringValue: "[100, 50]"}}, want: true},
		{attrs: attrs{"price": num("100")}, want: false},
	}},
	{"numeric-value-matching/anything-but body", ScopeMessageBody, `{"price": [{"anything-but": [100, 500]}]}`, []msg{
		{body: `{"price": 101}`, want: true},
		{body: `{"price": 100.1}`, want: true},
		{body: `{"price": [100, 50]}`, want: true},
		{body: `{"price": 100}`, want: false},
	}},
	{"numeric-value-matching/range less than zero", "", `{"price_usd": [{"numeric": ["<", 0]}]}`, []msg{
		{attrs: attrs{"price_usd": num("-0.5")}, want: true},
		{attrs: attrs{"price_usd": num("0")}, want: false},
	}},
	{"numeric-value-matching/range positive up to 150", "", `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`, []msg{
		{attrs: attrs{"price_usd": num("150")}, want: true},
		{attrs: attrs{"price_usd": num("0.00001")}, want: true},
		{attrs: attrs{"price_usd": num("0")}, want: false},
		{attrs: attrs{"price_usd": num("150.5")}, want: false},
	}},
	{"attribute-key-matching/exists true", "", `{"store": [{"exists": true}]}`, []msg{
		{attrs: attrs{"store": str("fans"), "customer_interests": list(`["baseball", "basketball"]`)}, want: true},
		{attrs: attrs{"customer_interests": list(`["baseball", "basketball"]`)}, want: false},
		{attrs: attrs{"store": str("")}, want: false},
	}},
	{"attribute-key-matching/exists true body", ScopeMessageBody, `{"store": [{"exists": true}]}`, []msg{
		{body: `{"store": "fans", "customer_interests": ["baseball", "basketball"]}`, want: true},
		{body: `{"customer_interests": ["baseball", "basketball"]}`, want: false},
		{body: `{"store": null}`, want: false},
	}},
	{"attribute-key-matching/exists false", "", `{"store": [{"exists": false}]}`, []msg{
		{attrs: attrs{"store": str("fans"), "customer_interests": list(`["baseball", "basketball"]`)}, want: false},
		{attrs: attrs{"customer_interests": list(`["baseball", "basketball"]`)}, want: true},
		{attrs: attrs{}, want: false}, // an empty set of attributes never matches
	}},
	{"attribute-key-matching/exists false body", ScopeMessageBody, `{"store": [{"exists": false}]}`, []msg{
		{body: `{"store": "fans", "customer_interests": ["baseball", "basketball"]}`, want: false},
		{body: `{"customer_interests": ["baseball", "basketball"]}`, want: true},
	}},
	{"and-or-logic/and", "", `{"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}`, []msg{
		{attrs: attrs{"customer_interests": str("rugby"), "price_usd": num("100.01")}, want: true},
		{attrs: attrs{"customer_interests": str("rugby"), "price_usd": num("100")}, want: false},
		{attrs: attrs{"customer_interests": str("rugby")}, want: false},
	}},
	{"and-or-logic/or", "", `{"customer_interests": ["rugby", "football", "baseball"]}`, []msg{
		{attrs: attrs{"customer_interests": str("football")}, want: true},
		{attrs: attrs{"customer_interests": str("hockey")}, want: false},
	}},
	{"and-or-logic/standard $or", "", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`, []msg{
		{attrs: attrs{"source": str("aws.cloudwatch"), "metricName": str("CPUUtilization")}, want: true},
		{attrs: attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, want: true},
		{attrs: attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/RDS")}, want: false},
		{attrs: attrs{"source": str("aws.s3"), "metricName": str("CPUUtilization")}, want: false},
	}},
	{"and-or-logic/nested $or body", ScopeMessageBody, `{"source": ["aws.cloudwatch"], "$or": [
		{"metricName": ["CPUUtilization", "ReadLatency"]},
		{"metricType": ["MetricType"], "$or": [{"metricId": [{"numeric": ["=", 1]}]}, {"spaceId": [{"numeric": [">", 12]}]}]}]}`, []msg{
		{body: `{"source": "aws.cloudwatch", "metricName": "ReadLatency"}`, want: true},
		{body: `{"source": "aws.cloudwatch", "metricType": "MetricType", "metricId": 1}`, want: true},
		{body: `{"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 13}`, want: true},
		{body: `{"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 12}`, want: false},
		{body: `{"source": "aws.cloudwatch", "metricId": 1}`, want: false},
	}},
	{"example-filter-policies/accepts", "", `{"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}],
		"customer_interests": ["rugby", "football", "baseball"], "price_usd": [{"numeric": [">=", 100]}]}`, []msg{
		{attrs: exampleMessage, want: true},
	}},
	{"example-filter-policies/rejects", "", `{"store": ["example_corp"], "event": ["order_cancelled"], "encrypted": [false],
		"customer_interests": ["basketball", "baseball"]}`, []msg{
		{attrs: exampleMessage, want: false},
	}},
	{"message-body-filtering/nested keys", ScopeMessageBody, `{"order": {"items": {"category": ["books"]}}, "total": [{"numeric": [">", 10]}]}`, []msg{
		{body: `{"order": {"items": [{"category": "toys"}, {"category": "books"}]}, "total": 12}`, want: true},
		{body: `{"order": {"items": [{"category": "toys"}]}, "total": 12}`, want: false},
		{body: `{"order": {"items": {"category": "books"}}, "total": 9}`, want: false},
		{body: `["not", "an", "object"]`, want: false},
		{body: `not json`, want: false},
	}},
	{"null and booleans body", ScopeMessageBody, `{"a": [null], "b": [true]}`, []msg{
		{body: `{"a": null, "b": true}`, want: true},
		{body: `{"a": "null", "b": true}`, want: false},
		{body: `{"a": null, "b": false}`, want: false},
	}},
	{"binary attributes are ignored", "", `{"blob": [{"exists": true}]}`, []msg{
		{attrs: attrs{"blob": {DataType: "Binary", BinaryValue: []byte("x")}}, want: false},
	}},
	{"empty policy accepts everything", "", `{}`, []msg{
		{attrs: nil, want: true},
	}},
}

var exampleMessage = attrs{
	"customer_interests": list(`["soccer", "rugby", "hockey"]`),
	"store":              str("example_corp"),
	"event":              str("order_placed"),
	"price_usd":          num("210.75"),
}

func TestFilterPolicyDocExamples(t *testing.T) {
	for _, c := range docCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseFilterPolicy(c.policy, c.scope)
			if err != nil {
				t.Fatalf("ParseFilterPolicy: %v", err)
			}
			for i, m := range c.msgs {
				if got := p.Match(m.attrs, []byte(m.body)); got != m.want {
					t.Errorf("message %d (%v %s): Match = %v, want %v", i, m.attrs, m.body, got, m.want)
				}
			}
		})
	}
}

func TestFilterPolicyInvalid(t *testing.T) {
	cases := []struct {
		name, scope, policy, want string
	}{
		{"too many keys", "", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, "Filter policy can not have more than 5 keys"},
		{"too complex", "", `{"a":[1,2,3,4,5,6,7,8,9,10],"b":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}`, "Filter policy is too complex"},
		{"too complex through nesting", ScopeMessageBody, `{"a":{"b":{"c":[1,2,3,4,5,6,7,8,9,10,11,12,13]}},"d":[1,2,3,4]}`, "Filter policy is too complex"},
		{"nested in attributes scope", "", `{"a":{"b":["x"]}}`, "does not support nested filter policy"},
		{"not an object", "", `["a"]`, "must be a JSON object"},
		{"bad json", "", `{"a":`, "failed to parse JSON"},
		{"scalar value", "", `{"a":"x"}`, `"a" must be an object or an array`},
		{"empty array", "", `{"a":[]}`, "Empty arrays are not allowed"},
		{"unknown operator", "", `{"a":[{"wildcard":"x*"}]}`, "Unrecognized match type wildcard"},
		{"two operators", "", `{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed in match expression"},
		{"prefix not a string", "", `{"a":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{"exists not a bool", "", `{"a":[{"exists":"yes"}]}`, "exists match pattern must be either true or false"},
		{"nested array value", "", `{"a":[["x"]]}`, "Match value must be String, number, true, false, or null"},
		{"anything-but suffix", "", `{"a":[{"anything-but":{"suffix":"x"}}]}`, "Unsupported anything-but pattern: suffix"},
		{"numeric bad operator", "", `{"a":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator: !="},
		{"numeric not numeric", "", `{"a":[{"numeric":["=","1"]}]}`, "Value of equals must be numeric"},
		{"numeric too many after =", "", `{"a":[{"numeric":["=",1,"<",2]}]}`, "Too many elements in numeric expression"},
		{"numeric bottom above top", "", `{"a":[{"numeric":[">",5,"<",2]}]}`, "Bottom must be less than top"},
		{"numeric bad second operator", "", `{"a":[{"numeric":[">",1,">",2]}]}`, "Bad numeric range operator: >"},
		{"cidr without mask", "", `{"a":[{"cidr":"10.0.0.1"}]}`, "Malformed CIDR, one '/' required"},
		{"cidr bad address", "", `{"a":[{"cidr":"10.0.0.300/24"}]}`, "Nonstandard IP address: 10.0.0.300"},
		// Were "$or" recognised, "numeric" would be an ordinary key and the policy valid.
		{"$or with reserved keywords is a plain key", "", `{"$or":[{"numeric":["=",1]},{"a":["x"]}]}`, "Unrecognized match type a"},
		{"bad scope", "Body", `{"a":["x"]}`, "FilterPolicyScope: Invalid value [Body]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFilterPolicy(c.policy, c.scope)
			if err == nil {
				t.Fatalf("ParseFilterPolicy(%s) = nil error, want %q", c.policy, c.want)
			}
			var fe *fn.Error
			if !errors.As(err, &fe) || fe.Type != fn.TypeInvalidParameterValue {
				t.Fatalf("error %v is not an InvalidParameterValueException", err)
			}
			if !strings.Contains(fe.Message, c.want) || !strings.HasPrefix(fe.Message, "Invalid parameter: ") {
				t.Fatalf("message %q, want it to contain %q", fe.Message, c.want)
			}
		})
	}
}

// TestFilterPolicyComplexity checks SNS's documented combination counts.
func TestFilterPolicyComplexity(t *testing.T) {
	cases := []struct {
		name, scope, policy string
		want                int
	}{
		{"subscription-filter-policy-constraints/3x1x2", "", `{"key_a":["value_one","value_two","value_three"],"key_b":["value_one"],"key_c":["value_one","value_two"]}`, 6},
		{"subscription-filter-policy-constraints/nested 3x4x2x3", ScopeMessageBody, `{"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},"key_d":{"key_e":["value_one","value_two","value_three"]}}`, 72},
		{"$or branches add up", "", `{"source":["a","b"],"$or":[{"x":["1","2","3"]},{"y":["1"]}]}`, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseFilterPolicy(c.policy, c.scope)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Combinations(); got != c.want {
				t.Fatalf("Combinations = %d, want %d", got, c.want)
			}
		})
	}
}
