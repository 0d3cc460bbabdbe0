package dynamodb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

type transactItem struct {
	ConditionCheck *struct {
		writeIn
		Key attr.Item
	}
	Put *struct {
		writeIn
		Item attr.Item
	}
	Delete *struct {
		writeIn
		Key attr.Item
	}
	Update *struct {
		writeIn
		Key              attr.Item
		UpdateExpression string
	}
}

func (a *API) transactWrite(c *call) (any, error) {
	var in struct {
		TransactItems               []transactItem
		ClientRequestToken          string
		ReturnConsumedCapacity      string
		ReturnItemCollectionMetrics string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransact {
		return nil, tables.Validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and %d", maxTransact)
	}
	if len(in.ClientRequestToken) > 36 {
		return nil, tables.Validation("1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")
	}
	ms := make([]tables.Mutation, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		m, err := a.transactMutation(c, ti)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	digest := ""
	if in.ClientRequestToken != "" {
		// The request as decoded, re-encoded with its maps' keys in order:
		// SDKs write an item's attributes in whatever order their maps
		// give, so the same request's bytes differ from one send to the
		// next.
		canon, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: digest of a transaction: %w", err)
		}
		sum := sha256.Sum256(canon)
		digest = hex.EncodeToString(sum[:])
		if seen, err := a.s.SeenToken(c.ctx, c.tenant, in.ClientRequestToken, digest); err != nil || seen {
			return map[string]any{}, err // done already: the same reply, nothing applied twice
		}
	}
	if _, err := a.s.Transact(c.ctx, c.tenant, ms, ""); err != nil {
		if cx, ok := err.(*tables.Canceled); ok {
			for i, ti := range in.TransactItems {
				if w := ti.common(); w == nil || w.ReturnValuesOnConditionCheckFailure != "ALL_OLD" {
					cx.Reasons[i].Item = nil
				}
			}
		}
		return nil, err
	}
	if digest != "" {
		if err := a.s.RememberToken(c.ctx, c.tenant, in.ClientRequestToken, digest); err != nil {
			a.log.Warn("a transaction's client request token could not be stored; a retry would apply it again", "err", err)
		}
	}
	return map[string]any{}, nil
}

// common is the action's shared parameters.
func (ti transactItem) common() *writeIn {
	switch {
	case ti.ConditionCheck != nil:
		return &ti.ConditionCheck.writeIn
	case ti.Put != nil:
		return &ti.Put.writeIn
	case ti.Delete != nil:
		return &ti.Delete.writeIn
	case ti.Update != nil:
		return &ti.Update.writeIn
	}
	return nil
}

// transactMutation turns one TransactItem into a store mutation.
func (a *API) transactMutation(c *call, ti transactItem) (tables.Mutation, error) {
	n := 0
	for _, set := range []bool{ti.ConditionCheck != nil, ti.Put != nil, ti.Delete != nil, ti.Update != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return tables.Mutation{}, tables.Validation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	w := ti.common()
	w.ReturnValues = "NONE"
	u := newUsage(w.ExpressionAttributeNames, w.ExpressionAttributeValues)
	guard, err := w.guard(u)
	if err != nil {
		return tables.Mutation{}, err
	}
	var m tables.Mutation
	switch {
	case ti.ConditionCheck != nil:
		if err := c.authorize("ConditionCheckItem", w.TableName); err != nil {
			return m, err
		}
		if w.ConditionExpression == "" {
			return m, tables.Validation("The ConditionExpression of a ConditionCheck is required")
		}
		m = tables.Mutation{Table: w.TableName, Key: ti.ConditionCheck.Key, Exact: true, Change: func(old attr.Item) (attr.Item, bool, error) {
			return nil, false, guard(old)
		}}
	case ti.Put != nil:
		if err := c.authorize("PutItem", w.TableName); err != nil {
			return m, err
		}
		item := ti.Put.Item
		if err := validItem(item); err != nil {
			return m, err
		}
		m = tables.Mutation{Table: w.TableName, Key: item, Change: func(old attr.Item) (attr.Item, bool, error) {
			return item, true, guard(old)
		}}
	case ti.Delete != nil:
		if err := c.authorize("DeleteItem", w.TableName); err != nil {
			return m, err
		}
		m = tables.Mutation{Table: w.TableName, Key: ti.Delete.Key, Exact: true, Change: func(old attr.Item) (attr.Item, bool, error) {
			return nil, true, guard(old)
		}}
	case ti.Update != nil:
		if err := c.authorize("UpdateItem", w.TableName); err != nil {
			return m, err
		}
		t, err := a.s.Table(c.tenant, w.TableName)
		if err != nil {
			return m, err
		}
		update, err := parseUpdate(ti.Update.UpdateExpression, w.ExpressionAttributeNames, w.ExpressionAttributeValues, u, keyNames(t))
		if err != nil {
			return m, err
		}
		key := ti.Update.Key
		m = tables.Mutation{Table: w.TableName, Key: key, Exact: true, Change: func(old attr.Item) (attr.Item, bool, error) {
			if err := guard(old); err != nil {
				return nil, false, err
			}
			nw := attr.Item{}
			for k, v := range old {
				nw[k] = v
			}
			for k, v := range key {
				nw[k] = v
			}
			if update != nil {
				var err error
				if nw, err = update.apply(nw); err != nil {
					return nil, false, err
				}
			}
			return nw, true, nw.Validate()
		}}
	}
	return m, u.check()
}

func (a *API) transactGet(c *call) (any, error) {
	var in struct {
		TransactItems []struct {
			Get *struct {
				TableName                string
				Key                      attr.Item
				ProjectionExpression     string
				ExpressionAttributeNames map[string]string
			}
		}
		ReturnConsumedCapacity string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransact {
		return nil, tables.Validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and %d", maxTransact)
	}
	responses := make([]map[string]any, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		g := ti.Get
		if g == nil {
			return nil, tables.Validation("TransactGetItems holds Get actions only")
		}
		if err := c.authorize("GetItem", g.TableName); err != nil {
			return nil, err
		}
		u := newUsage(g.ExpressionAttributeNames, nil)
		project, err := parseProjection(g.ProjectionExpression, g.ExpressionAttributeNames, u)
		if err != nil {
			return nil, err
		}
		if err := u.check(); err != nil {
			return nil, err
		}
		it, err := a.s.Get(c.ctx, c.tenant, g.TableName, g.Key)
		if err != nil {
			return nil, err
		}
		responses[i] = map[string]any{}
		if it != nil {
			responses[i]["Item"] = project(it)
		}
	}
	return map[string]any{"Responses": responses}, nil
}
