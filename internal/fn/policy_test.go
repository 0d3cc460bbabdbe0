package fn

import (
	"encoding/json"
	"testing"
)

func TestPermissionsAllows(t *testing.T) {
	p := Permissions{
		{Actions: []string{"s3:GetObject", "s3:PutObject"}, Resources: []string{"arn:aws:s3:::uploads/*", "thumbs"}},
		{Actions: []string{"dynamodb:*"}, Resources: []string{"users"}},
		{Actions: []string{"sqs:Send*"}, Resources: []string{"arn:aws:sqs:*:*:mail"}},
	}
	for _, c := range []struct {
		action, resource string
		want             bool
	}{
		{"s3:GetObject", "arn:aws:s3:::uploads/a/b.png", true},
		{"s3:getobject", "arn:aws:s3:::uploads/x", true},
		{"s3:DeleteObject", "arn:aws:s3:::uploads/x", false},
		{"s3:PutObject", "arn:aws:s3:::thumbs/x.png", true},
		{"s3:PutObject", "arn:aws:s3:::thumbs", true},
		{"s3:PutObject", "arn:aws:s3:::other/x", false},
		{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/users", true},
		{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/orders", false},
		{"sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:mail", true},
		{"sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:000000000000:mail", false},
	} {
		if got := p.Allows(c.action, c.resource); got != c.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", c.action, c.resource, got, c.want)
		}
	}
	if !Permissions(nil).Allows("s3:DeleteBucket", "arn:aws:s3:::x") {
		t.Error("nil permissions must allow the tenant's resources")
	}
	if err := (Permissions{{Actions: []string{"GetObject"}, Resources: []string{"x"}}}).Validate(); err == nil {
		t.Error("an action without a service was accepted")
	}
}

func TestEmptyPermissionsSurviveJSON(t *testing.T) {
	b, err := json.Marshal(Function{Name: "f", Permissions: Permissions{}})
	if err != nil {
		t.Fatal(err)
	}
	var f Function
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Permissions == nil {
		t.Fatalf("permissions: [] came back as nil (everything allowed): %s", b)
	}
	b, _ = json.Marshal(Function{Name: "g"})
	var g Function
	if err := json.Unmarshal(b, &g); err != nil || g.Permissions != nil {
		t.Fatalf("no permissions came back as %#v", g.Permissions)
	}
}
