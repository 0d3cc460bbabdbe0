package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"gopkg.in/yaml.v3"
)

// Price is a non-negative exact decimal amount of money. In JSON and YAML
// it is a number or a string ("0.0000166667"); it is written as a string
// so that no reader turns it into a float.
type Price struct{ d apd.Decimal }

// MustPrice parses s; it panics on a malformed literal (for constants).
func MustPrice(s string) Price {
	p, err := ParsePrice(s)
	if err != nil {
		panic(err)
	}
	return p
}

// ParsePrice parses a decimal such as "0.20" or "1.66667e-5".
func ParsePrice(s string) (Price, error) {
	var p Price
	if _, _, err := p.d.SetString(strings.TrimSpace(s)); err != nil {
		return Price{}, fmt.Errorf("price %q is not a decimal number: %w", s, err)
	}
	if p.d.Form != apd.Finite || p.d.Negative {
		return Price{}, fmt.Errorf("price %q must be a finite number, zero or more", s)
	}
	return p, nil
}

func (p Price) String() string { return p.d.Text('f') }

// MarshalJSON writes the price as a JSON string.
func (p Price) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads a JSON number or string.
func (p *Price) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	q, err := ParsePrice(s)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// UnmarshalYAML reads a YAML number or string.
func (p *Price) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a price is a number, such as 0.20", n.Line)
	}
	q, err := ParsePrice(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*p = q
	return nil
}

// Prices is the price table. A price table file sets any of its fields;
// those it leaves out keep Lambda's public prices (DefaultPrices).
type Prices struct {
	Currency string `json:"currency" yaml:"currency"`
	// RequestsPerMillion is the price of a million requests (calls that
	// ran, whatever their outcome; throttled calls are not billed).
	RequestsPerMillion Price `json:"requests_per_million" yaml:"requests_per_million"`
	// GBSecondX86 and GBSecondArm are the price of a GB-second of
	// duration (billed ms × memory) by the host's architecture.
	GBSecondX86 Price `json:"gb_second_x86_64" yaml:"gb_second_x86_64"`
	GBSecondArm Price `json:"gb_second_arm64" yaml:"gb_second_arm64"`
	// ProvisionedGBSecond is the price of a GB-second of provisioned
	// concurrency kept ready, used or not.
	ProvisionedGBSecond Price `json:"provisioned_gb_second" yaml:"provisioned_gb_second"`
	// ProvisionedDurationGBSecond is Lambda's price of the duration of
	// calls that ran on provisioned instances. Usage records do not say
	// which instance a call ran on yet, so every call's duration is
	// priced at the on-demand rate; the field is kept for when they do.
	ProvisionedDurationGBSecond Price `json:"provisioned_duration_gb_second" yaml:"provisioned_duration_gb_second"`
	// StorageGBMonth is the price of a GB-month of stored code. Stored
	// code is not metered yet; the field is kept for when it is.
	StorageGBMonth Price `json:"storage_gb_month" yaml:"storage_gb_month"`
	// FreeRequests and FreeGBSeconds are each tenant's free tier per
	// month (0: none), deducted from its requests and on-demand compute.
	FreeRequests  int64 `json:"free_requests" yaml:"free_requests"`
	FreeGBSeconds int64 `json:"free_gb_seconds" yaml:"free_gb_seconds"`
}

// DefaultPrices are AWS Lambda's public prices (US East, N. Virginia) and
// free tier; docs/BILLING.md cites where they come from.
func DefaultPrices() Prices {
	return Prices{
		Currency:                    "USD",
		RequestsPerMillion:          MustPrice("0.20"),
		GBSecondX86:                 MustPrice("0.0000166667"),
		GBSecondArm:                 MustPrice("0.0000133334"),
		ProvisionedGBSecond:         MustPrice("0.0000041667"),
		ProvisionedDurationGBSecond: MustPrice("0.0000097222"),
		StorageGBMonth:              MustPrice("0.10"),
		FreeRequests:                1_000_000,
		FreeGBSeconds:               400_000,
	}
}

// Validate checks what a decoder cannot.
func (p Prices) Validate() error {
	if p.FreeRequests < 0 || p.FreeGBSeconds < 0 {
		return fmt.Errorf("free tier of %d requests and %d GB-s: use 0 or more (0 disables it)", p.FreeRequests, p.FreeGBSeconds)
	}
	if len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency {
		return fmt.Errorf("currency %q: use a three-letter ISO 4217 code such as USD", p.Currency)
	}
	return nil
}

// LoadPrices reads a price table file: YAML (.yaml, .yml) or JSON
// (anything else), over DefaultPrices. Unknown fields are refused, so a
// misspelt price cannot silently keep its default.
func LoadPrices(path string) (Prices, error) {
	p := DefaultPrices()
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Prices{}, fmt.Errorf("price table: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&p)
	default:
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&p)
	}
	if err != nil && !errors.Is(err, io.EOF) { // an empty file keeps the defaults
		return Prices{}, fmt.Errorf("price table %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return Prices{}, fmt.Errorf("price table %s: %w", path, err)
	}
	return p, nil
}
