// Command items is the CRUD API of examples/rest-api (template.yaml): items
// in the table named by ITEMS_TABLE, behind HTTP API routes with a JWT
// authorizer. Every route needs a token; an item's owner is the token's
// "sub" claim.
//
//	POST   /items       {"name": "...", "price": 1.5, "tags": ["..."]} → 201 the item
//	GET    /items       → 200 {"items": [...]}
//	GET    /items/{id}  → 200 the item, 404
//	PUT    /items/{id}  the same body as POST → 200 the item, 404
//	DELETE /items/{id}  → 204, 404
//
// HTTP APIs have no request models, so the function validates bodies
// itself and answers 400 with a message that says what to fix.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is what the API stores and returns.
type Item struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags,omitempty"`
	Owner string   `json:"owner"`
}

// input is a POST or PUT body.
type input struct {
	Name  *string  `json:"name"`
	Price *float64 `json:"price"`
	Tags  []string `json:"tags"`
}

// parseItem validates a body: name 1-100 characters, price a number
// ≥ 0, at most 10 tags; nothing else.
func parseItem(body string) (Item, error) {
	var in input
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Item{}, fmt.Errorf("the body must be a JSON object with name, price and optional tags: %v", err)
	}
	switch {
	case in.Name == nil || strings.TrimSpace(*in.Name) == "":
		return Item{}, errors.New("name is required")
	case len(*in.Name) > 100:
		return Item{}, fmt.Errorf("name has %d characters, at most 100 are allowed", len(*in.Name))
	case in.Price == nil:
		return Item{}, errors.New("price is required")
	case *in.Price < 0:
		return Item{}, fmt.Errorf("price %v is negative", *in.Price)
	case len(in.Tags) > 10:
		return Item{}, fmt.Errorf("%d tags, at most 10 are allowed", len(in.Tags))
	}
	return Item{Name: *in.Name, Price: *in.Price, Tags: in.Tags}, nil
}

func reply(status int, v any) events.APIGatewayV2HTTPResponse {
	r := events.APIGatewayV2HTTPResponse{StatusCode: status}
	if v != nil {
		b, _ := json.Marshal(v)
		r.Body, r.Headers = string(b), map[string]string{"content-type": "application/json"}
	}
	return r
}

func message(status int, format string, args ...any) events.APIGatewayV2HTTPResponse {
	return reply(status, map[string]string{"message": fmt.Sprintf(format, args...)})
}

// api is one invocation's view of the table.
type api struct {
	db    *dynamodb.Client
	table string
	owner string
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	a := api{db: dynamodb.NewFromConfig(cfg), table: os.Getenv("ITEMS_TABLE")}
	if req.RequestContext.Authorizer != nil && req.RequestContext.Authorizer.JWT != nil {
		a.owner = req.RequestContext.Authorizer.JWT.Claims["sub"]
	}
	if a.owner == "" {
		return message(403, "the token has no sub claim"), nil
	}
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return message(400, "the body is not valid base64"), nil
		}
		body = string(b)
	}
	id := req.PathParameters["id"]
	switch req.RouteKey {
	case "POST /items":
		return a.put(ctx, "", body)
	case "GET /items":
		return a.list(ctx)
	case "GET /items/{id}":
		it, err := a.get(ctx, id)
		if err != nil || it == nil {
			return message(404, "no item %s", id), err
		}
		return reply(200, it), nil
	case "PUT /items/{id}":
		return a.put(ctx, id, body)
	case "DELETE /items/{id}":
		return a.delete(ctx, id)
	}
	return message(404, "no route %s", req.RouteKey), nil
}

// put creates an item (id "") or replaces the caller's item id.
func (a api) put(ctx context.Context, id, body string) (events.APIGatewayV2HTTPResponse, error) {
	it, err := parseItem(body)
	if err != nil {
		return message(400, "%v", err), nil
	}
	status, cond := 200, "attribute_exists(id) AND #owner = :owner"
	if id == "" {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		id, status, cond = hex.EncodeToString(b), 201, "attribute_not_exists(id) OR #owner = :owner"
	}
	it.ID, it.Owner = id, a.owner
	_, err = a.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &a.table, Item: marshal(it),
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: a.owner}},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return message(404, "no item %s", id), nil
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("put item %s: %w", id, err)
	}
	return reply(status, it), nil
}

// get returns the caller's item id, nil when there is none.
func (a api) get(ctx context.Context, id string) (*Item, error) {
	out, err := a.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &a.table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		return nil, fmt.Errorf("get item %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	it := unmarshal(out.Item)
	if it.Owner != a.owner {
		return nil, nil
	}
	return &it, nil
}

func (a api) list(ctx context.Context) (events.APIGatewayV2HTTPResponse, error) {
	items := []Item{}
	p := dynamodb.NewScanPaginator(a.db, &dynamodb.ScanInput{TableName: &a.table,
		FilterExpression:          aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: a.owner}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("scan %s: %w", a.table, err)
		}
		for _, m := range page.Items {
			items = append(items, unmarshal(m))
		}
	}
	return reply(200, map[string]any{"items": items}), nil
}

func (a api) delete(ctx context.Context, id string) (events.APIGatewayV2HTTPResponse, error) {
	_, err := a.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &a.table,
		Key:                       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: a.owner}},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return message(404, "no item %s", id), nil
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("delete item %s: %w", id, err)
	}
	return reply(204, nil), nil
}

func marshal(it Item) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{
		"id":    &types.AttributeValueMemberS{Value: it.ID},
		"name":  &types.AttributeValueMemberS{Value: it.Name},
		"price": &types.AttributeValueMemberN{Value: fmt.Sprint(it.Price)},
		"owner": &types.AttributeValueMemberS{Value: it.Owner},
	}
	if len(it.Tags) > 0 {
		m["tags"] = &types.AttributeValueMemberL{Value: strs(it.Tags)}
	}
	return m
}

func strs(ss []string) []types.AttributeValue {
	out := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		out[i] = &types.AttributeValueMemberS{Value: s}
	}
	return out
}

func unmarshal(m map[string]types.AttributeValue) Item {
	var it Item
	s := func(k string) string {
		if v, ok := m[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	it.ID, it.Name, it.Owner = s("id"), s("name"), s("owner")
	if v, ok := m["price"].(*types.AttributeValueMemberN); ok {
		it.Price, _ = strconv.ParseFloat(v.Value, 64)
	}
	if v, ok := m["tags"].(*types.AttributeValueMemberL); ok {
		for _, t := range v.Value {
			if s, ok := t.(*types.AttributeValueMemberS); ok {
				it.Tags = append(it.Tags, s.Value)
			}
		}
	}
	return it
}

func main() { lambda.Start(handle) }
