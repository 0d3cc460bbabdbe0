package dynamodb

import (
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Limits of the batch and transaction operations, DynamoDB's.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
	maxTransact   = 100
)

type keysAndAttrs struct {
	Keys                     []attr.Item
	ProjectionExpression     string
	ExpressionAttributeNames map[string]string
	ConsistentRead           bool
}

func (a *API) batchGet(c *call) (any, error) {
	var in struct {
		RequestItems           map[string]keysAndAttrs
		ReturnConsumedCapacity string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	total := 0
	for _, ka := range in.RequestItems {
		total += len(ka.Keys)
	}
	if total == 0 || total > maxBatchGet {
		return nil, tables.Validation("Too many items requested for the BatchGetItem call: %d keys, between 1 and %d allowed", total, maxBatchGet)
	}
	responses := map[string][]attr.Item{}
	for name, ka := range in.RequestItems {
		if err := c.authorize("BatchGetItem", name); err != nil {
			return nil, err
		}
		u := newUsage(ka.ExpressionAttributeNames, nil)
		project, err := parseProjection(ka.ProjectionExpression, ka.ExpressionAttributeNames, u)
		if err != nil {
			return nil, err
		}
		if err := u.check(); err != nil {
			return nil, err
		}
		got := []attr.Item{}
		for _, k := range ka.Keys {
			it, err := a.s.Get(c.ctx, c.tenant, name, k)
			if err != nil {
				return nil, err
			}
			if it != nil {
				got = append(got, project(it))
			}
		}
		responses[name] = got
	}
	return map[string]any{"Responses": responses, "UnprocessedKeys": map[string]any{}}, nil
}

type writeRequest struct {
	PutRequest    *struct{ Item attr.Item }
	DeleteRequest *struct{ Key attr.Item }
}

func (a *API) batchWrite(c *call) (any, error) {
	var in struct {
		RequestItems                map[string][]writeRequest
		ReturnConsumedCapacity      string
		ReturnItemCollectionMetrics string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var ms []tables.Mutation
	for name, reqs := range in.RequestItems {
		if err := c.authorize("BatchWriteItem", name); err != nil {
			return nil, err
		}
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				item := r.PutRequest.Item
				if err := validItem(item); err != nil {
					return nil, err
				}
				ms = append(ms, tables.Mutation{Table: name, Key: item, Change: func(attr.Item) (attr.Item, bool, error) { return item, true, nil }})
			case r.DeleteRequest != nil && r.PutRequest == nil:
				ms = append(ms, tables.Mutation{Table: name, Key: r.DeleteRequest.Key, Exact: true, Change: func(attr.Item) (attr.Item, bool, error) { return nil, true, nil }})
			default:
				return nil, tables.Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes: a WriteRequest holds one PutRequest or one DeleteRequest")
			}
		}
	}
	if len(ms) == 0 || len(ms) > maxBatchWrite {
		return nil, tables.Validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length between 1 and %d (got %d requests)", maxBatchWrite, len(ms))
	}
	// Each request is its own write (DynamoDB does not make a batch
	// atomic), but one item twice is refused as DynamoDB refuses it.
	seen := map[string]bool{}
	for _, m := range ms {
		t, err := a.s.Table(c.tenant, m.Table)
		if err != nil {
			return nil, err
		}
		id := m.Table + "\x00" + keyID(t, m.Key)
		if seen[id] {
			return nil, tables.Validation("Provided list of item keys contains duplicates")
		}
		seen[id] = true
	}
	for _, m := range ms {
		if _, err := a.s.Write(c.ctx, c.tenant, m); err != nil {
			return nil, err
		}
	}
	return map[string]any{"UnprocessedItems": map[string]any{}}, nil
}

// keyID is a key's identity for duplicate checks (its JSON).
func keyID(t *tables.Table, item attr.Item) string {
	k := attr.Item{}
	for _, n := range keyNames(t) {
		if v, ok := item[n]; ok {
			k[n] = v
		}
	}
	b, _ := json.Marshal(k)
	return string(b)
}
