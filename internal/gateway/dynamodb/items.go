package dynamodb

import (
	"slices"

	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// exprIn are the expression parameters every item operation may carry.
type exprIn struct {
	ConditionExpression       string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]attr.Value
}

// writeIn is the common part of PutItem, DeleteItem and UpdateItem.
type writeIn struct {
	exprIn
	TableName                           string
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
	ReturnConsumedCapacity              string
	ReturnItemCollectionMetrics         string
}

func (in *writeIn) checkReturn(allowed ...string) error {
	if in.ReturnValues == "" {
		in.ReturnValues = "NONE"
	}
	if !slices.Contains(append(allowed, "NONE"), in.ReturnValues) {
		return tables.Validation("ReturnValues can only be %v for this operation, not %s", append([]string{"NONE"}, allowed...), in.ReturnValues)
	}
	switch in.ReturnValuesOnConditionCheckFailure {
	case "", "NONE", "ALL_OLD":
		return nil
	}
	return tables.Validation("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", in.ReturnValuesOnConditionCheckFailure)
}

// guard is the write's ConditionExpression as a check on the old item.
func (in *writeIn) guard(u *usage) (func(old attr.Item) error, error) {
	cond, err := parseCondition("ConditionExpression", in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, u)
	if err != nil {
		return nil, err
	}
	allOld := in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
	return func(old attr.Item) error {
		if cond == nil {
			return nil
		}
		ok, err := cond(old)
		if err != nil {
			return err
		}
		if !ok {
			if allOld {
				return &tables.CheckFailed{Item: old}
			}
			return &tables.CheckFailed{}
		}
		return nil
	}, nil
}

// stripItem drops the item of a failed check unless ALL_OLD asked for it.
func (in *writeIn) result(err error) error {
	if cf, ok := err.(*tables.CheckFailed); ok && in.ReturnValuesOnConditionCheckFailure != "ALL_OLD" {
		cf.Item = nil
	}
	return err
}

func (a *API) putItem(c *call) (any, error) {
	var in struct {
		writeIn
		Item attr.Item
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("PutItem", in.TableName); err != nil {
		return nil, err
	}
	if err := in.checkReturn("ALL_OLD"); err != nil {
		return nil, err
	}
	if err := validItem(in.Item); err != nil {
		return nil, err
	}
	u := newUsage(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	guard, err := in.guard(u)
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	res, err := a.s.Write(c.ctx, c.tenant, tables.Mutation{Table: in.TableName, Key: in.Item, Change: func(old attr.Item) (attr.Item, bool, error) {
		if err := guard(old); err != nil {
			return nil, false, err
		}
		return in.Item, true, nil
	}})
	if err != nil {
		return nil, in.result(err)
	}
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && res.Old != nil {
		out["Attributes"] = res.Old
	}
	return out, nil
}

func (a *API) deleteItem(c *call) (any, error) {
	var in struct {
		writeIn
		Key attr.Item
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteItem", in.TableName); err != nil {
		return nil, err
	}
	if err := in.checkReturn("ALL_OLD"); err != nil {
		return nil, err
	}
	u := newUsage(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	guard, err := in.guard(u)
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	res, err := a.s.Write(c.ctx, c.tenant, tables.Mutation{Table: in.TableName, Key: in.Key, Exact: true, Change: func(old attr.Item) (attr.Item, bool, error) {
		if err := guard(old); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}})
	if err != nil {
		return nil, in.result(err)
	}
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && res.Old != nil {
		out["Attributes"] = res.Old
	}
	return out, nil
}

func (a *API) updateItem(c *call) (any, error) {
	var in struct {
		writeIn
		Key              attr.Item
		UpdateExpression string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateItem", in.TableName); err != nil {
		return nil, err
	}
	if err := in.checkReturn("ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"); err != nil {
		return nil, err
	}
	t, err := a.s.Table(c.tenant, in.TableName)
	if err != nil {
		return nil, err
	}
	u := newUsage(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	guard, err := in.guard(u)
	if err != nil {
		return nil, err
	}
	update, err := parseUpdate(in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, u, keyNames(t))
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	res, err := a.s.Write(c.ctx, c.tenant, tables.Mutation{Table: in.TableName, Key: in.Key, Exact: true, Change: func(old attr.Item) (attr.Item, bool, error) {
		if err := guard(old); err != nil {
			return nil, false, err
		}
		nw := attr.Item{}
		for k, v := range old {
			nw[k] = v
		}
		for k, v := range in.Key {
			nw[k] = v
		}
		if update != nil {
			var err error
			if nw, err = update.apply(nw); err != nil {
				return nil, false, err
			}
		}
		if err := nw.Validate(); err != nil {
			return nil, false, err
		}
		return nw, true, nil
	}})
	if err != nil {
		return nil, in.result(err)
	}
	out := map[string]any{}
	if attrs := returned(in.ReturnValues, res.Old, res.New, update); len(attrs) > 0 {
		out["Attributes"] = attrs
	}
	return out, nil
}

// returned is UpdateItem's Attributes for rv: the whole item before or
// after, or only the top-level attributes the update changed.
func returned(rv string, old, nw attr.Item, up *update) attr.Item {
	switch rv {
	case "ALL_OLD":
		return old
	case "ALL_NEW":
		return nw
	case "UPDATED_OLD", "UPDATED_NEW":
		out := attr.Item{}
		for name := range union(old, nw) {
			o, inOld := old[name]
			n, inNew := nw[name]
			if inOld && inNew && attr.Equal(o, n) || up != nil && !slices.Contains(up.paths, name) {
				continue
			}
			if rv == "UPDATED_OLD" && inOld {
				out[name] = o
			}
			if rv == "UPDATED_NEW" && inNew {
				out[name] = n
			}
		}
		return out
	}
	return nil
}

func union(a, b attr.Item) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func keyNames(t *tables.Table) []string {
	if t.Range == nil {
		return []string{t.Hash.Name}
	}
	return []string{t.Hash.Name, t.Range.Name}
}

func (a *API) getItem(c *call) (any, error) {
	var in struct {
		TableName                string
		Key                      attr.Item
		ProjectionExpression     string
		ExpressionAttributeNames map[string]string
		ConsistentRead           bool
		ReturnConsumedCapacity   string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("GetItem", in.TableName); err != nil {
		return nil, err
	}
	u := newUsage(in.ExpressionAttributeNames, nil)
	project, err := parseProjection(in.ProjectionExpression, in.ExpressionAttributeNames, u)
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	it, err := a.s.Get(c.ctx, c.tenant, in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if it != nil {
		out["Item"] = project(it)
	}
	return out, nil
}
