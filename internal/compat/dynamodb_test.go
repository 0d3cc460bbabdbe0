package compat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// ddb is the real AWS SDK DynamoDB client pointed at the platform.
func (p *platform) ddb() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "local",
		BaseEndpoint: aws.String(p.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(p.key.AccessKeyID, p.key.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func str(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	switch v := item[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	t.Fatalf("attribute %s of %v is not S or N", name, item)
	return ""
}

// TestDynamoDBTables: CreateTable, DescribeTable, ListTables (paged),
// UpdateTable (streams), DeleteTable and their errors.
func TestDynamoDBTables(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.ddb()
	for _, name := range []string{"users", "events", "zeta"} {
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("users"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second CreateTable: %v", err)
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("bad"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	wantAPIError(t, err, "ValidationException")

	lt, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	if err != nil || fmt.Sprint(lt.TableNames) != "[events users]" || aws.ToString(lt.LastEvaluatedTableName) != "users" {
		t.Fatalf("ListTables page 1: %+v %v", lt, err)
	}
	lt, err = c.ListTables(ctx, &dynamodb.ListTablesInput{ExclusiveStartTableName: lt.LastEvaluatedTableName})
	if err != nil || fmt.Sprint(lt.TableNames) != "[zeta]" || lt.LastEvaluatedTableName != nil {
		t.Fatalf("ListTables page 2: %+v %v", lt, err)
	}

	up, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("users"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(up.TableDescription.LatestStreamArn)
	if !strings.HasPrefix(arn, "arn:aws:dynamodb:local:"+p.key.AccountID+":table/users/stream/") {
		t.Fatalf("LatestStreamArn %q", arn)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: map[string]types.AttributeValue{"id": s("a"), "n": n("1")}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("users")})
	if err != nil {
		t.Fatal(err)
	}
	tb := d.Table
	if tb.TableStatus != types.TableStatusActive || aws.ToInt64(tb.ItemCount) != 1 || aws.ToInt64(tb.TableSizeBytes) == 0 ||
		aws.ToString(tb.TableArn) != "arn:aws:dynamodb:local:"+p.key.AccountID+":table/users" ||
		tb.StreamSpecification == nil || tb.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages ||
		aws.ToString(tb.LatestStreamArn) != arn || len(tb.KeySchema) != 1 || tb.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Fatalf("DescribeTable %+v", tb)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("users"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("users")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "exp" {
		t.Fatalf("DescribeTimeToLive %+v %v", ttl, err)
	}
	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("users")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("users")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeTable after DeleteTable: %v", err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("users"), Key: map[string]types.AttributeValue{"id": s("a")}})
	if !errors.As(err, &nf) {
		t.Fatalf("GetItem of a deleted table: %v", err)
	}
}

func createRangeTable(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(sqsCtx(t), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDynamoDBItems: PutItem, GetItem (projection), UpdateItem (SET, ADD,
// REMOVE, ReturnValues), DeleteItem, conditional writes with
// ConditionalCheckFailedException (and the old item on ALL_OLD), and
// validation errors.
func TestDynamoDBItems(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.ddb()
	createRangeTable(t, c, "items")
	tn := aws.String("items")
	key := map[string]types.AttributeValue{"pk": s("u1"), "sk": n("1")}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{
		"pk": s("u1"), "sk": n("1"), "name": s("ada"), "visits": n("1"), "tags": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": n("1"), "y": s("keep")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A conditional put that must fail, returning the old item.
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{"pk": s("u1"), "sk": n("1")},
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || str(t, ccf.Item, "name") != "ada" {
		t.Fatalf("conditional put: %v", err)
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key, ProjectionExpression: aws.String("#n, nested.y"),
		ExpressionAttributeNames: map[string]string{"#n": "name"}, ConsistentRead: aws.Bool(true)})
	if err != nil || len(got.Item) != 2 || str(t, got.Item, "name") != "ada" {
		t.Fatalf("GetItem with projection: %+v %v", got, err)
	}
	upd, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		UpdateExpression:          aws.String("SET visits = visits + :one, #n = :name REMOVE nested.x ADD tags :t"),
		ConditionExpression:       aws.String("visits = :one"),
		ExpressionAttributeNames:  map[string]string{"#n": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1"), ":name": s("grace"), ":t": &types.AttributeValueMemberSS{Value: []string{"b"}}},
		ReturnValues:              types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatal(err)
	}
	if str(t, upd.Attributes, "visits") != "2" || str(t, upd.Attributes, "name") != "grace" || upd.Attributes["pk"] != nil {
		t.Fatalf("UPDATED_NEW %+v", upd.Attributes)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		UpdateExpression: aws.String("SET visits = :v"), ConditionExpression: aws.String("visits = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1")}})
	if !errors.As(err, &ccf) || ccf.Item != nil {
		t.Fatalf("failed update condition: %v (no item without ALL_OLD)", err)
	}
	// Validation errors.
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{"pk": s("u1")}})
	wantAPIError(t, err, "ValidationException")
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key, UpdateExpression: aws.String("SET pk = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("x")}})
	wantAPIError(t, err, "ValidationException")
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: map[string]types.AttributeValue{"pk": s("u1")}})
	wantAPIError(t, err, "ValidationException")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{"pk": s("big"), "sk": n("1"), "blob": s(strings.Repeat("x", 410*1024))}})
	wantAPIError(t, err, "ValidationException")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{"pk": s("u2"), "sk": n("1")},
		ExpressionAttributeValues: map[string]types.AttributeValue{":unused": n("1")}})
	wantAPIError(t, err, "ValidationException")

	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tn, Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || str(t, del.Attributes, "visits") != "2" {
		t.Fatalf("DeleteItem ALL_OLD: %+v %v", del, err)
	}
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key})
	if err != nil || got.Item != nil {
		t.Fatalf("GetItem after delete: %+v %v", got.Item, err)
	}
}

// TestDynamoDBQueryScan: Query in sort-key order both ways with a key
// condition, filter and Limit pagination; Query and Scan pages stop at
// 1 MB and resume from LastEvaluatedKey; Select COUNT; segments.
func TestDynamoDBQueryScan(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.ddb()
	createRangeTable(t, c, "qtab")
	tn := aws.String("qtab")
	big := strings.Repeat("x", 100*1024)
	for i := range 30 {
		item := map[string]types.AttributeValue{"pk": s("p"), "sk": n(strconv.Itoa(i)), "odd": &types.AttributeValueMemberBOOL{Value: i%2 == 1}, "pad": s(big)}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: item}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: map[string]types.AttributeValue{"pk": s("other"), "sk": n(strconv.Itoa(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	// Key condition + reverse order + filter + Limit pages.
	var seen []string
	var start map[string]types.AttributeValue
	for pages := 0; ; pages++ {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn,
			KeyConditionExpression:    aws.String("pk = :p AND sk BETWEEN :lo AND :hi"),
			FilterExpression:          aws.String("odd = :t"),
			ProjectionExpression:      aws.String("sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p"), ":lo": n("5"), ":hi": n("14"), ":t": &types.AttributeValueMemberBOOL{Value: true}},
			ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(4), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			seen = append(seen, str(t, it, "sk"))
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		if pages > 5 {
			t.Fatal("too many pages")
		}
		start = out.LastEvaluatedKey
	}
	if fmt.Sprint(seen) != "[13 11 9 7 5]" {
		t.Fatalf("query saw %v", seen)
	}
	// 1 MB pages: 30 items of 100 KB need 3 pages.
	pages, total := 0, 0
	start = nil
	for {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p")}, ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(out.Items)
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if pages != 3 || total != 30 {
		t.Fatalf("1 MB query pages: %d pages, %d items", pages, total)
	}
	cnt, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("pk = :p AND sk < :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("other"), ":n": n("10")}, Select: types.SelectCount})
	if err != nil || cnt.Count != 10 || cnt.Items != nil {
		t.Fatalf("COUNT: %+v %v", cnt, err)
	}
	// Scan: all 60 items over pages, and two segments that split them.
	scanned := map[string]bool{}
	start = nil
	for {
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, ExclusiveStartKey: start, ProjectionExpression: aws.String("pk, sk")})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			scanned[str(t, it, "pk")+"/"+str(t, it, "sk")] = true
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(scanned) != 60 {
		t.Fatalf("scan saw %d items", len(scanned))
	}
	seg := 0
	for i := range 2 {
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tn, Segment: aws.Int32(int32(i)), TotalSegments: aws.Int32(2), Select: types.SelectCount})
		if err != nil {
			t.Fatal(err)
		}
		seg += int(out.ScannedCount)
	}
	if seg > 60 {
		t.Fatalf("segments overlap: %d", seg)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: tn, KeyConditionExpression: aws.String("sk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": n("1")}})
	wantAPIError(t, err, "ValidationException")
}

// TestDynamoDBBatchAndTransactions: BatchWriteItem and BatchGetItem
// across two tables; TransactWriteItems all or nothing, cancelled with
// one reason per action; TransactGetItems.
func TestDynamoDBBatchAndTransactions(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.ddb()
	createRangeTable(t, c, "tabA")
	createRangeTable(t, c, "tabB")
	item := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s(pk), "sk": n(sk)}
	}
	_, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"tabA": {{PutRequest: &types.PutRequest{Item: item("x", "1")}}, {PutRequest: &types.PutRequest{Item: item("x", "2")}}},
		"tabB": {{PutRequest: &types.PutRequest{Item: item("y", "1")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	bg, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"tabA": {Keys: []map[string]types.AttributeValue{item("x", "1"), item("x", "2"), item("x", "3")}},
		"tabB": {Keys: []map[string]types.AttributeValue{item("y", "1")}},
	}})
	if err != nil || len(bg.Responses["tabA"]) != 2 || len(bg.Responses["tabB"]) != 1 || len(bg.UnprocessedKeys) != 0 {
		t.Fatalf("BatchGetItem %+v %v", bg, err)
	}
	// A transaction whose second condition fails changes nothing.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tabA"), Item: item("x", "9")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("tabB"), Key: item("y", "1"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String("tabA"), Key: item("x", "1")}},
	}})
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) || len(tc.CancellationReasons) != 3 || aws.ToString(tc.CancellationReasons[0].Code) != "None" ||
		aws.ToString(tc.CancellationReasons[1].Code) != "ConditionalCheckFailed" {
		t.Fatalf("cancelled transaction: %v %+v", err, tc)
	}
	tg, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("tabA"), Key: item("x", "9")}},
		{Get: &types.Get{TableName: aws.String("tabA"), Key: item("x", "1")}},
	}})
	if err != nil || tg.Responses[0].Item != nil || tg.Responses[1].Item == nil {
		t.Fatalf("after a cancelled transaction: %+v %v", tg, err)
	}
	// The same transaction with a true condition applies all of it.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tabA"), Item: item("x", "9")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("tabB"), Key: item("y", "1"), ConditionExpression: aws.String("attribute_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String("tabA"), Key: item("x", "1")}},
		{Update: &types.Update{TableName: aws.String("tabB"), Key: item("y", "2"), UpdateExpression: aws.String("SET n = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": n("7")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tg, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("tabA"), Key: item("x", "9")}},
		{Get: &types.Get{TableName: aws.String("tabA"), Key: item("x", "1")}},
		{Get: &types.Get{TableName: aws.String("tabB"), Key: item("y", "2")}},
	}})
	if err != nil || tg.Responses[0].Item == nil || tg.Responses[1].Item != nil || str(t, tg.Responses[2].Item, "n") != "7" {
		t.Fatalf("after the transaction: %+v %v", tg, err)
	}
	// ClientRequestToken: the same request again succeeds without applying
	// twice (its condition would fail now); another request with the same
	// token is refused.
	once := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-1"), TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tabA"), Item: item("z", "1"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}}
	for range 2 {
		if _, err := c.TransactWriteItems(ctx, once); err != nil {
			t.Fatalf("the same transaction with its token: %v", err)
		}
	}
	once.TransactItems[0].Put.Item = item("z", "2")
	_, err = c.TransactWriteItems(ctx, once)
	wantAPIError(t, err, "IdempotentParameterMismatchException")
}

// TestDynamoDBTenants: another tenant's tables do not exist for a caller:
// not listed, ResourceNotFoundException to describe, read or write, and a
// table of the same name is its own.
func TestDynamoDBTenants(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	createRangeTable(t, p.ddb(), "shared")
	admin := apiclient.New(p.endpoint, p.key.APIKey)
	if _, err := admin.CreateTenant(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateKey(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	other := dynamodb.New(dynamodb.Options{
		Region: "local", BaseEndpoint: aws.String(p.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		Retryer:     aws.NopRetryer{},
	})
	lt, err := other.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(lt.TableNames) != 0 {
		t.Fatalf("the other tenant lists %v, %v", lt.TableNames, err)
	}
	_, err = other.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("shared")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = other.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared"), Item: map[string]types.AttributeValue{"pk": s("x"), "sk": n("1")}})
	wantAPIError(t, err, "ResourceNotFoundException")
	createRangeTable(t, other, "shared")
	if _, err := other.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shared"), Item: map[string]types.AttributeValue{"pk": s("x"), "sk": n("1")}}); err != nil {
		t.Fatal(err)
	}
	d, err := p.ddb().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("shared")})
	if err != nil || aws.ToInt64(d.Table.ItemCount) != 0 {
		t.Fatalf("the first tenant's table: %+v %v", d, err)
	}
}

// TestDynamoDBFromFunctions: a function's own aws-sdk-go-v2 client, with
// no endpoint or credential code, reaches the tables with the function's
// credentials; narrow permissions refuse what they do not name.
func TestDynamoDBFromFunctions(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	ctx := sqsCtx(t)
	c := p.lambda()
	p.deploySDKFunction(ctx, t, "open", "")
	p.deploySDKFunction(ctx, t, "reader", "permissions:\n  - actions: [\"dynamodb:GetItem\"]\n    resources: [notes]\n")
	if got, ok := callSDK(ctx, t, c, "open", map[string]any{"op": "ddbput", "name": "notes", "key": "k1", "body": "hello", "create": true}); !ok {
		t.Fatalf("open: CreateTable and PutItem through its own SDK: %q", got)
	}
	if got, ok := callSDK(ctx, t, c, "reader", map[string]any{"op": "ddbget", "name": "notes", "key": "k1"}); !ok || got != "hello" {
		t.Fatalf("reader: GetItem on its table: ok=%v %q", ok, got)
	}
	got, ok := callSDK(ctx, t, c, "reader", map[string]any{"op": "ddbput", "name": "notes", "key": "k2", "body": "x"})
	if ok || !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "dynamodb:PutItem") {
		t.Fatalf("reader: PutItem outside its permissions: ok=%v %q, want AccessDenied", ok, got)
	}
}
