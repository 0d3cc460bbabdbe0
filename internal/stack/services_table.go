package stack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// provisionedUnits is the capacity a PROVISIONED table is created with:
// the template's ProvisionedThroughput has no effect here (every table
// serves the same), SAM's SimpleTable default.
const provisionedUnits = 5

// tableActiveWait bounds the wait for a new table to become ACTIVE.
const tableActiveWait = 5 * time.Minute

func (s *Services) applyTable(ctx context.Context, r *Resource) error {
	spec := r.Table
	out, err := s.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.Name)})
	if svcIsCode(err, "ResourceNotFoundException") {
		if err := s.createTable(ctx, r); err != nil {
			return err
		}
		return s.setTTL(ctx, r, "")
	} else if err != nil {
		return svcFailed(r, "DescribeTable", err)
	}
	t := out.Table
	if have, want := keyText(t.KeySchema, t.AttributeDefinitions), specKeyText(spec); have != want {
		return svcConflict(r, "the table %s has the key schema %s and the template asks for %s: a table's keys cannot be changed in place; give the table another name (or remove it from the template, deploy, and add it back) to replace it, as CloudFormation does, losing its items", r.Name, have, want)
	}
	haveView := ""
	if ss := t.StreamSpecification; ss != nil && aws.ToBool(ss.StreamEnabled) {
		haveView = string(ss.StreamViewType)
	}
	if haveView != spec.StreamView {
		if haveView != "" {
			if _, err := s.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(r.Name),
				StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
				return svcFailed(r, "UpdateTable", err)
			}
		}
		if spec.StreamView != "" {
			if _, err := s.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(r.Name),
				StreamSpecification: streamSpec(spec.StreamView)}); err != nil {
				return svcFailed(r, "UpdateTable", err)
			}
		}
	}
	ttl, err := s.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(r.Name)})
	if err != nil {
		return svcFailed(r, "DescribeTimeToLive", err)
	}
	haveTTL := ""
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled {
		haveTTL = aws.ToString(d.AttributeName)
	}
	return s.setTTL(ctx, r, haveTTL)
}

func (s *Services) createTable(ctx context.Context, r *Resource) error {
	spec := r.Table
	in := &dynamodb.CreateTableInput{TableName: aws.String(r.Name), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, k := range spec.KeySchema {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: ddbtypes.KeyType(k.Type)})
	}
	for _, a := range spec.Attributes {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.Name), AttributeType: ddbtypes.ScalarAttributeType(a.Type)})
	}
	if spec.BillingMode == string(ddbtypes.BillingModeProvisioned) {
		in.BillingMode = ddbtypes.BillingModeProvisioned
		in.ProvisionedThroughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(provisionedUnits), WriteCapacityUnits: aws.Int64(provisionedUnits)}
	}
	if spec.StreamView != "" {
		in.StreamSpecification = streamSpec(spec.StreamView)
	}
	out, err := s.ddb.CreateTable(ctx, in)
	if err != nil {
		return svcFailed(r, "CreateTable", err)
	}
	if d := out.TableDescription; d != nil && d.TableStatus == ddbtypes.TableStatusActive {
		return nil
	}
	w := dynamodb.NewTableExistsWaiter(s.ddb, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = time.Second })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.Name)}, tableActiveWait); err != nil {
		return svcFailed(r, "DescribeTable (waiting for ACTIVE)", err)
	}
	return nil
}

// setTTL makes time to live match the spec when the table has have on.
func (s *Services) setTTL(ctx context.Context, r *Resource, have string) error {
	want := r.Table.TTLAttribute
	if have == want {
		return nil
	}
	set := func(attr string, on bool) error {
		_, err := s.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(r.Name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(on)}})
		if err != nil {
			return svcFailed(r, "UpdateTimeToLive", err)
		}
		return nil
	}
	if have != "" {
		if err := set(have, false); err != nil {
			return err
		}
	}
	if want != "" {
		return set(want, true)
	}
	return nil
}

func streamSpec(view string) *ddbtypes.StreamSpecification {
	return &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(view)}
}

// keyText describes a key schema as "id (S, HASH), at (N, RANGE)".
func keyText(keys []ddbtypes.KeySchemaElement, attrs []ddbtypes.AttributeDefinition) string {
	types := map[string]string{}
	for _, a := range attrs {
		types[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		n := aws.ToString(k.AttributeName)
		parts = append(parts, fmt.Sprintf("%s (%s, %s)", n, types[n], k.KeyType))
	}
	return strings.Join(parts, ", ")
}

func specKeyText(spec *TableSpec) string {
	keys := make([]ddbtypes.KeySchemaElement, 0, len(spec.KeySchema))
	for _, k := range spec.KeySchema {
		keys = append(keys, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: ddbtypes.KeyType(k.Type)})
	}
	attrs := make([]ddbtypes.AttributeDefinition, 0, len(spec.Attributes))
	for _, a := range spec.Attributes {
		attrs = append(attrs, ddbtypes.AttributeDefinition{AttributeName: aws.String(a.Name), AttributeType: ddbtypes.ScalarAttributeType(a.Type)})
	}
	return keyText(keys, attrs)
}

func (s *Services) deleteTable(ctx context.Context, r *Resource) error {
	_, err := s.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Name)})
	if err != nil && !svcIsCode(err, "ResourceNotFoundException") {
		return svcFailed(r, "DeleteTable", err)
	}
	return nil
}

// latestStream is the table's LatestStreamArn for a stand-in stream ARN
// ending in StreamLatest (Attribute); any other ARN is returned as is.
func (s *Services) latestStream(ctx context.Context, r *Resource, arn string) (string, error) {
	rest, ok := strings.CutSuffix(arn, StreamLatest)
	if !ok || !strings.HasPrefix(arn, "arn:aws:dynamodb:") {
		return arn, nil
	}
	_, table, ok := strings.Cut(rest, ":table/")
	if !ok || table == "" {
		return arn, nil
	}
	out, err := s.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return "", svcFailed(r, "DescribeTable "+table+" (its stream)", err)
	}
	if latest := aws.ToString(out.Table.LatestStreamArn); latest != "" {
		return latest, nil
	}
	return "", svcConflict(r, "EventSourceArn is the stream of table %s, and that table has no stream: give it a StreamSpecification", table)
}
