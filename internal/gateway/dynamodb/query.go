package dynamodb

import (
	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// pageBytes is DynamoDB's 1 MB limit on the data one Query or Scan reads.
const pageBytes = 1 << 20

type readIn struct {
	TableName                 string
	IndexName                 string
	Limit                     *int
	ExclusiveStartKey         attr.Item
	Select                    string
	FilterExpression          string
	ProjectionExpression      string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]attr.Value
	ConsistentRead            bool
	ReturnConsumedCapacity    string
}

// page collects one page of a Query or Scan.
type page struct {
	limit    int
	filter   func(attr.Item) (bool, error)
	project  func(attr.Item) attr.Item
	count    bool
	items    []attr.Item
	n        int
	scanned  int
	bytes    int
	lastKey  attr.Item
	complete bool
}

func (in *readIn) page(u *usage) (*page, error) {
	if in.IndexName != "" {
		return nil, tables.Validation("The table does not have the specified index: %s (Updraft's tables have no secondary indexes)", in.IndexName)
	}
	p := &page{limit: -1, complete: true}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, tables.Validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		p.limit = *in.Limit
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		p.count = true
	default:
		return nil, tables.Validation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", in.Select)
	}
	if in.Select == "COUNT" && in.ProjectionExpression != "" {
		return nil, tables.Validation("Cannot specify the ProjectionExpression when choosing to get only the COUNT")
	}
	var err error
	if p.filter, err = parseCondition("FilterExpression", in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, u); err != nil {
		return nil, err
	}
	if p.project, err = parseProjection(in.ProjectionExpression, in.ExpressionAttributeNames, u); err != nil {
		return nil, err
	}
	return p, nil
}

// visit takes one evaluated item; it stops at Limit or 1 MB read.
func (p *page) visit(key, item attr.Item) (bool, error) {
	p.scanned++
	p.bytes += tables.ItemSize(item)
	keep := true
	if p.filter != nil {
		ok, err := p.filter(item)
		if err != nil {
			return false, err
		}
		keep = ok
	}
	if keep {
		p.n++
		if !p.count {
			p.items = append(p.items, p.project(item))
		}
	}
	if p.scanned == p.limit || p.bytes >= pageBytes {
		p.lastKey = key
		p.complete = false
		return false, nil
	}
	return true, nil
}

func (p *page) out() map[string]any {
	out := map[string]any{"Count": p.n, "ScannedCount": p.scanned}
	if !p.count {
		items := p.items
		if items == nil {
			items = []attr.Item{}
		}
		out["Items"] = items
	}
	if !p.complete {
		out["LastEvaluatedKey"] = p.lastKey
	}
	return out
}

func (a *API) query(c *call) (any, error) {
	var in struct {
		readIn
		KeyConditionExpression string
		ScanIndexForward       *bool
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("Query", in.TableName); err != nil {
		return nil, err
	}
	t, err := a.s.Table(c.tenant, in.TableName)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, tables.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	u := newUsage(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	hash, match, err := parseKeyCondition(in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, u, t)
	if err != nil {
		return nil, err
	}
	p, err := in.page(u)
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	q := tables.QueryInput{Hash: hash, Range: match, Forward: in.ScanIndexForward == nil || *in.ScanIndexForward, After: in.ExclusiveStartKey}
	if err := a.s.Query(c.ctx, c.tenant, in.TableName, q, p.visit); err != nil {
		return nil, err
	}
	return p.out(), nil
}

func (a *API) scan(c *call) (any, error) {
	var in struct {
		readIn
		Segment       *int
		TotalSegments *int
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("Scan", in.TableName); err != nil {
		return nil, err
	}
	s := tables.ScanInput{After: in.ExclusiveStartKey}
	if (in.Segment == nil) != (in.TotalSegments == nil) {
		return nil, tables.Validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	}
	if in.TotalSegments != nil {
		s.Segment, s.TotalSegments = *in.Segment, *in.TotalSegments
		if s.TotalSegments < 1 || s.TotalSegments > 1000000 || s.Segment < 0 || s.Segment >= s.TotalSegments {
			return nil, tables.Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is out of bounds for TotalSegments: %d", s.Segment, s.TotalSegments)
		}
	}
	u := newUsage(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	p, err := in.page(u)
	if err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	if err := a.s.Scan(c.ctx, c.tenant, in.TableName, s, p.visit); err != nil {
		return nil, err
	}
	return p.out(), nil
}
