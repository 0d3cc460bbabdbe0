package tables

import (
	"regexp"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Stream view types, DynamoDB's.
const (
	KeysOnly        = "KEYS_ONLY"
	NewImage        = "NEW_IMAGE"
	OldImage        = "OLD_IMAGE"
	NewAndOldImages = "NEW_AND_OLD_IMAGES"
)

// MaxItemSize is DynamoDB's item size limit.
const MaxItemSize = 400 * 1024

// KeyAttr is one key attribute: its name and type (S, N or B).
type KeyAttr struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Table is a table's definition, stored in the TABLES key-value bucket.
type Table struct {
	// ID names the table's subjects; a table deleted and created again
	// under the same name has a new ID, so nothing of the old one shows.
	ID     string   `json:"id"`
	Tenant string   `json:"tenant"`
	Name   string   `json:"name"`
	Hash   KeyAttr  `json:"hash"`
	Range  *KeyAttr `json:"range,omitempty"`
	// Attributes are the AttributeDefinitions as given.
	Attributes  []KeyAttr `json:"attributes"`
	BillingMode string    `json:"billing_mode,omitempty"`
	ReadUnits   int64     `json:"read_units,omitempty"`
	WriteUnits  int64     `json:"write_units,omitempty"`
	// StreamView is the StreamViewType; "" when the stream is off.
	StreamView string `json:"stream_view,omitempty"`
	// StreamLabel is the latest stream's label (a timestamp); it stays
	// after the stream is turned off, as LatestStreamArn does.
	StreamLabel  string    `json:"stream_label,omitempty"`
	TTLAttribute string    `json:"ttl_attribute,omitempty"`
	Created      time.Time `json:"created"`
}

// ARN is the table's ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME.
func (t *Table) ARN() string { return TableARN(t.Tenant, t.Name) }

// TableARN is the ARN of tenant's table name.
func TableARN(tenant, name string) string {
	return "arn:aws:dynamodb:" + fn.Region + ":" + fn.AccountID(tenant) + ":table/" + name
}

// StreamARN is the table's latest stream ARN ("" when it never had one).
func (t *Table) StreamARN() string {
	if t.StreamLabel == "" {
		return ""
	}
	return t.ARN() + "/stream/" + t.StreamLabel
}

// StreamEnabled reports whether writes record stream records.
func (t *Table) StreamEnabled() bool { return t.StreamView != "" }

var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// CheckName says what is wrong with a table name, as DynamoDB does.
func CheckName(name string) error {
	if !tableName.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255", name)
	}
	return nil
}

// CheckView says what is wrong with a StreamViewType.
func CheckView(v string) error {
	switch v {
	case KeysOnly, NewImage, OldImage, NewAndOldImages:
		return nil
	}
	return validation("1 validation error detected: Value '%s' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]", v)
}

// validate checks the key schema against the attribute definitions.
func (t *Table) validate() error {
	if err := CheckName(t.Name); err != nil {
		return err
	}
	keys := []*KeyAttr{&t.Hash}
	if t.Range != nil {
		keys = append(keys, t.Range)
	}
	defined := map[string]string{}
	for _, a := range t.Attributes {
		switch a.Type {
		case "S", "N", "B":
		default:
			return validation("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", a.Type)
		}
		defined[a.Name] = a.Type
	}
	for _, k := range keys {
		if k.Name == "" {
			return validation("Invalid KeySchema: Some index key attribute have no definition")
		}
		typ, ok := defined[k.Name]
		if !ok {
			return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: %v", k.Name, names(t.Attributes))
		}
		k.Type = typ
	}
	if len(defined) != len(keys) {
		return validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	if t.StreamView != "" {
		if err := CheckView(t.StreamView); err != nil {
			return err
		}
	}
	return nil
}

func names(as []KeyAttr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

// newLabel is a stream label: the time, as DynamoDB's labels are.
func newLabel(now time.Time) string { return now.UTC().Format("2006-01-02T15:04:05.000") }

// itemKey is an item's primary key, checked and canonical.
type itemKey struct {
	hash keyPart
	rng  *keyPart
}

// key extracts and checks item's (or a Key's) primary key. exact: the
// map must hold the key attributes only (a Key parameter).
func (t *Table) key(item attr.Item, exact bool) (itemKey, error) {
	var k itemKey
	want := 1
	if t.Range != nil {
		want = 2
	}
	if exact && len(item) != want {
		return k, validation("The provided key element does not match the schema")
	}
	hv, ok := item[t.Hash.Name]
	if !ok {
		if exact {
			return k, validation("The provided key element does not match the schema")
		}
		return k, validation("One or more parameter values were invalid: Missing the key %s in the item", t.Hash.Name)
	}
	var err error
	if k.hash, err = newKeyPart(t.Hash.Name, t.Hash.Type, hv); err != nil {
		return k, err
	}
	if t.Range != nil {
		rv, ok := item[t.Range.Name]
		if !ok {
			if exact {
				return k, validation("The provided key element does not match the schema")
			}
			return k, validation("One or more parameter values were invalid: Missing the key %s in the item", t.Range.Name)
		}
		rp, err := newKeyPart(t.Range.Name, t.Range.Type, rv)
		if err != nil {
			return k, err
		}
		k.rng = &rp
	}
	return k, nil
}

// subject is the item's subject in the data stream.
func (t *Table) subject(k itemKey) string {
	s := itemPrefix(t.ID) + k.hash.token()
	if k.rng != nil {
		s += "." + k.rng.token()
	}
	return s
}

// id is the key's identity within the table (for locks and the index).
func (k itemKey) id() string {
	if k.rng == nil {
		return k.hash.canon
	}
	return k.hash.canon + "\x00" + k.rng.canon
}

// item is the key as an item (the Keys of a stream record, a
// LastEvaluatedKey).
func (t *Table) keyItem(k itemKey) attr.Item {
	out := attr.Item{t.Hash.Name: k.hash.v}
	if k.rng != nil {
		out[t.Range.Name] = k.rng.v
	}
	return out
}

func itemPrefix(id string) string   { return "tbl." + id + ".i." }
func changePrefix(id string) string { return "tbl." + id + ".c." }

// seqString formats a stream sequence as DynamoDB's SequenceNumber: an
// increasing numeric string.
func seqString(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	if len(s) < 21 {
		s = "000000000000000000000"[:21-len(s)] + s
	}
	return s
}
