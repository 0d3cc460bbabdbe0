package dynamodb

import (
	"github.com/updraft-dev/updraft/internal/tables"
)

type attrDef struct {
	AttributeName string
	AttributeType string
}

type keyElem struct {
	AttributeName string
	KeyType       string
}

type throughput struct {
	ReadCapacityUnits      int64
	WriteCapacityUnits     int64
	NumberOfDecreasesToday *int64 `json:",omitempty"`
}

type streamSpec struct {
	StreamEnabled  bool
	StreamViewType string `json:",omitempty"`
}

type tableDesc struct {
	AttributeDefinitions      []attrDef
	KeySchema                 []keyElem
	TableName                 string
	TableStatus               string
	TableArn                  string
	TableId                   string
	CreationDateTime          float64
	ItemCount                 int
	TableSizeBytes            int64
	BillingModeSummary        *struct{ BillingMode string } `json:",omitempty"`
	ProvisionedThroughput     throughput
	StreamSpecification       *streamSpec `json:",omitempty"`
	LatestStreamArn           string      `json:",omitempty"`
	LatestStreamLabel         string      `json:",omitempty"`
	DeletionProtectionEnabled bool
}

func describe(info tables.Info, status string) tableDesc {
	t := info.Table
	d := tableDesc{
		TableName: t.Name, TableStatus: status, TableArn: t.ARN(), TableId: t.ID,
		CreationDateTime: float64(t.Created.UnixMilli()) / 1000,
		ItemCount:        info.ItemCount, TableSizeBytes: info.SizeBytes,
		KeySchema:       []keyElem{{t.Hash.Name, "HASH"}},
		LatestStreamArn: t.StreamARN(), LatestStreamLabel: t.StreamLabel,
	}
	zero := int64(0)
	d.ProvisionedThroughput = throughput{ReadCapacityUnits: t.ReadUnits, WriteCapacityUnits: t.WriteUnits, NumberOfDecreasesToday: &zero}
	if t.Range != nil {
		d.KeySchema = append(d.KeySchema, keyElem{t.Range.Name, "RANGE"})
	}
	for _, a := range t.Attributes {
		d.AttributeDefinitions = append(d.AttributeDefinitions, attrDef{a.Name, a.Type})
	}
	if t.BillingMode != "" {
		d.BillingModeSummary = &struct{ BillingMode string }{t.BillingMode}
	}
	if t.StreamView != "" {
		d.StreamSpecification = &streamSpec{StreamEnabled: true, StreamViewType: t.StreamView}
	}
	return d
}

type createTableIn struct {
	TableName             string
	AttributeDefinitions  []attrDef
	KeySchema             []keyElem
	BillingMode           string
	ProvisionedThroughput *throughput
	StreamSpecification   *streamSpec
}

func (a *API) createTable(c *call) (any, error) {
	var in createTableIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := tables.CheckName(in.TableName); err != nil {
		return nil, err
	}
	if err := c.authorize("CreateTable", in.TableName); err != nil {
		return nil, err
	}
	t := tables.Table{Tenant: c.tenant, Name: in.TableName, BillingMode: in.BillingMode}
	switch in.BillingMode {
	case "", "PROVISIONED":
		if in.ProvisionedThroughput == nil {
			return nil, tables.Validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		t.ReadUnits, t.WriteUnits = in.ProvisionedThroughput.ReadCapacityUnits, in.ProvisionedThroughput.WriteCapacityUnits
	case "PAY_PER_REQUEST":
	default:
		return nil, tables.Validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
	}
	if len(in.KeySchema) < 1 || len(in.KeySchema) > 2 || in.KeySchema[0].KeyType != "HASH" || len(in.KeySchema) == 2 && in.KeySchema[1].KeyType != "RANGE" {
		return nil, tables.Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type, or a second one is not a RANGE key type")
	}
	t.Hash = tables.KeyAttr{Name: in.KeySchema[0].AttributeName}
	if len(in.KeySchema) == 2 {
		t.Range = &tables.KeyAttr{Name: in.KeySchema[1].AttributeName}
	}
	for _, d := range in.AttributeDefinitions {
		t.Attributes = append(t.Attributes, tables.KeyAttr{Name: d.AttributeName, Type: d.AttributeType})
	}
	if s := in.StreamSpecification; s != nil && s.StreamEnabled {
		if s.StreamViewType == "" {
			return nil, tables.Validation("StreamSpecification: StreamViewType is required when StreamEnabled is true")
		}
		t.StreamView = s.StreamViewType
	}
	info, err := a.s.Create(c.ctx, t)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": describe(info, "ACTIVE")}, nil
}

type tableIn struct {
	TableName string
}

func (a *API) describeTable(c *call) (any, error) {
	var in tableIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("DescribeTable", in.TableName); err != nil {
		return nil, err
	}
	info, err := a.s.Describe(c.ctx, c.tenant, in.TableName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": describe(info, "ACTIVE")}, nil
}

func (a *API) deleteTable(c *call) (any, error) {
	var in tableIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteTable", in.TableName); err != nil {
		return nil, err
	}
	info, err := a.s.Delete(c.ctx, c.tenant, in.TableName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": describe(info, "DELETING")}, nil
}

func (a *API) listTables(c *call) (any, error) {
	var in struct {
		ExclusiveStartTableName string
		Limit                   int
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Limit == 0 {
		in.Limit = 100
	}
	if in.Limit < 1 || in.Limit > 100 {
		return nil, tables.Validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", in.Limit)
	}
	if err := c.authorize("ListTables", "*"); err != nil {
		return nil, err
	}
	names := []string{}
	var last string
	for _, n := range a.s.List(c.ctx, c.tenant) {
		if n <= in.ExclusiveStartTableName {
			continue
		}
		if len(names) == in.Limit {
			last = names[len(names)-1]
			break
		}
		names = append(names, n)
	}
	out := map[string]any{"TableNames": names}
	if last != "" {
		out["LastEvaluatedTableName"] = last
	}
	return out, nil
}

func (a *API) updateTable(c *call) (any, error) {
	var in struct {
		TableName           string
		StreamSpecification *streamSpec
		BillingMode         string
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateTable", in.TableName); err != nil {
		return nil, err
	}
	if in.StreamSpecification == nil {
		info, err := a.s.Describe(c.ctx, c.tenant, in.TableName)
		if err != nil {
			return nil, err
		}
		return map[string]any{"TableDescription": describe(info, "ACTIVE")}, nil
	}
	view := ""
	if in.StreamSpecification.StreamEnabled {
		view = in.StreamSpecification.StreamViewType
		if view == "" {
			return nil, tables.Validation("StreamSpecification: StreamViewType is required when StreamEnabled is true")
		}
	}
	info, err := a.s.SetStream(c.ctx, c.tenant, in.TableName, view)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": describe(info, "ACTIVE")}, nil
}

type ttlSpec struct {
	AttributeName string
	Enabled       bool
}

func (a *API) updateTTL(c *call) (any, error) {
	var in struct {
		TableName               string
		TimeToLiveSpecification ttlSpec
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateTimeToLive", in.TableName); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if _, err := a.s.SetTTL(c.ctx, c.tenant, in.TableName, spec.AttributeName, spec.Enabled); err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveSpecification": spec}, nil
}

func (a *API) describeTTL(c *call) (any, error) {
	var in tableIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("DescribeTimeToLive", in.TableName); err != nil {
		return nil, err
	}
	t, err := a.s.Table(c.tenant, in.TableName)
	if err != nil {
		return nil, err
	}
	d := map[string]any{"TimeToLiveStatus": "DISABLED"}
	if t.TTLAttribute != "" {
		d = map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": t.TTLAttribute}
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}
