package dynamodb

import (
	"slices"

	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
	"github.com/updraft-dev/updraft/internal/tables/expr"
)

// usage collects a request's parsed expressions, to refuse placeholders
// none of them uses, as DynamoDB does.
type usage struct {
	names  expr.Names
	values expr.Values
	exprs  []expr.Expr
}

func newUsage(names map[string]string, values map[string]attr.Value) *usage {
	return &usage{names: names, values: values}
}

func (u *usage) add(e expr.Expr) { u.exprs = append(u.exprs, e) }

func (u *usage) check() error { return expr.CheckUnused(u.names, u.values, u.exprs...) }

// parseCondition parses a ConditionExpression or FilterExpression; nil
// when s is empty.
func parseCondition(kind, s string, names map[string]string, values map[string]attr.Value, u *usage) (func(attr.Item) (bool, error), error) {
	if s == "" {
		return nil, nil
	}
	parse := expr.ParseCondition
	if kind == "FilterExpression" {
		parse = expr.ParseFilter
	}
	c, err := parse(s, names, values)
	if err != nil {
		return nil, err
	}
	u.add(c)
	return c.Eval, nil
}

// parseProjection parses a ProjectionExpression; the identity when empty.
func parseProjection(s string, names map[string]string, u *usage) (func(attr.Item) attr.Item, error) {
	if s == "" {
		return func(it attr.Item) attr.Item { return it }, nil
	}
	p, err := expr.ParseProjection(s, names)
	if err != nil {
		return nil, err
	}
	u.add(p)
	return p.Apply, nil
}

// update is a parsed UpdateExpression: it changes an item in place and
// names the top-level attributes it writes.
type update struct {
	apply func(attr.Item) (attr.Item, error)
	paths []string
}

// parseUpdate parses an UpdateExpression that must not touch keys; nil
// when s is empty.
func parseUpdate(s string, names map[string]string, values map[string]attr.Value, u *usage, keys []string) (*update, error) {
	if s == "" {
		return nil, nil
	}
	up, err := expr.ParseUpdate(s, names, values)
	if err != nil {
		return nil, err
	}
	u.add(up)
	for _, p := range up.Paths() {
		if slices.Contains(keys, p) {
			return nil, tables.Validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p)
		}
	}
	return &update{apply: up.Apply, paths: up.Paths()}, nil
}

// parseKeyCondition parses a Query's KeyConditionExpression for t: the
// partition key value and the sort key test (nil: every sort key).
func parseKeyCondition(s string, names map[string]string, values map[string]attr.Value, u *usage, t *tables.Table) (attr.Value, func(attr.Value) bool, error) {
	rangeKey := ""
	if t.Range != nil {
		rangeKey = t.Range.Name
	}
	k, err := expr.ParseKeyCondition(s, names, values, t.Hash.Name, rangeKey)
	if err != nil {
		return attr.Value{}, nil, err
	}
	u.add(k)
	if k.Range == nil {
		return k.Hash, nil, nil
	}
	return k.Hash, k.Match, nil
}
