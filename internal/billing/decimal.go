package billing

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// ctx does the arithmetic: 60 digits keep every sum and product here
// exact; the one rounding is to the cent, half-up.
var ctx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(decimalPrecision)
	c.Rounding = apd.RoundHalfUp
	return c
}()

// check panics when an operation was not exact: with 60 digits that is a
// programming error, not an input one (quantities are int64 sums).
func check(cond apd.Condition, err error) {
	if err != nil {
		panic(fmt.Sprintf("billing: decimal arithmetic: %v", err))
	}
	if cond.Inexact() {
		panic("billing: decimal arithmetic was not exact")
	}
}

func add(d, x, y *apd.Decimal) { check(ctx.Add(d, x, y)) }
func mul(d, x, y *apd.Decimal) { check(ctx.Mul(d, x, y)) }

// quo divides exactly: the divisors here (10^6, 1024·1000) are products of
// 2s and 5s, so every quotient is a terminating decimal.
func quo(x, y *apd.Decimal) *apd.Decimal {
	var d apd.Decimal
	check(ctx.Quo(&d, x, y))
	return reduce(&d)
}

func reduce(d *apd.Decimal) *apd.Decimal {
	var r apd.Decimal
	r.Reduce(d)
	return &r
}

// gbs is MB·ms in GB-seconds.
func gbs(mbMs *apd.Decimal) *apd.Decimal { return quo(mbMs, apd.New(gbMsPerGBs, 0)) }

// cents rounds d half-up to the cent.
func cents(d *apd.Decimal) *apd.Decimal {
	var r apd.Decimal
	if _, err := ctx.Quantize(&r, d, centExponent); err != nil {
		panic(fmt.Sprintf("billing: rounding %s to the cent: %v", d.Text('f'), err))
	}
	return &r
}

func text(d *apd.Decimal) string {
	if d.IsZero() {
		return "0"
	}
	return reduce(d).Text('f')
}

// dec parses a decimal this package wrote.
func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("billing: %q: %v", s, err))
	}
	return d
}

// line prices quantity at unitPrice.
func line(item, desc string, quantity *apd.Decimal, unit string, unitPrice *apd.Decimal) Line {
	var exact apd.Decimal
	mul(&exact, quantity, unitPrice)
	return Line{Item: item, Description: desc, Quantity: text(quantity), Unit: unit,
		UnitPrice: text(unitPrice), Exact: text(&exact), Amount: cents(&exact).Text('f')}
}

// deduction negates a line's amounts.
func deduction(l Line) Line {
	neg := func(s string) string {
		d := dec(s)
		if d.IsZero() {
			return s
		}
		d.Neg(d)
		return d.Text('f')
	}
	l.Exact, l.Amount = neg(l.Exact), neg(l.Amount)
	return l
}

// sum adds the lines' rounded amounts.
func sum(lines []Line) string {
	var s apd.Decimal
	for _, l := range lines {
		add(&s, &s, dec(l.Amount))
	}
	return cents(&s).Text('f')
}
