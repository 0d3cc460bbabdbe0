package stack

import (
	"encoding/json"
	"strconv"
	"strings"
)

// queue reads an AWS::SQS::Queue's properties as SQS attributes.
func queue(p *props) *QueueSpec {
	attrs := map[string]string{}
	for _, k := range []string{"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds"} {
		if n := p.integer(k); n != nil {
			attrs[k] = strconv.Itoa(*n)
		}
	}
	for _, k := range []string{"FifoQueue", "ContentBasedDeduplication"} {
		if b := p.boolean(k); b != nil {
			attrs[k] = strconv.FormatBool(*b)
		}
	}
	if p.has("RedrivePolicy") {
		rp := p.obj("RedrivePolicy")
		if rp == nil {
			attrs["RedrivePolicy"] = p.jsonText("RedrivePolicy")
		} else {
			target := rp.str("deadLetterTargetArn")
			max := rp.integer("maxReceiveCount")
			if target == "" || max == nil {
				rp.fail("", "needs deadLetterTargetArn and maxReceiveCount")
			} else {
				b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": target, "maxReceiveCount": *max})
				attrs["RedrivePolicy"] = string(b)
			}
			_ = rp.done()
		}
	}
	p.str("QueueName") // the Resource's Name
	p.note("messages are stored by JetStream, not encrypted with a KMS key", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled")
	p.note("tags are not kept", "Tags")
	p.note("has no effect here", "DeduplicationScope", "FifoThroughputLimit", "RedriveAllowPolicy")
	if len(attrs) == 0 {
		attrs = nil
	}
	return &QueueSpec{Attributes: attrs}
}

// topic reads an AWS::SNS::Topic; its inline Subscription entries become
// subscriptions of their own (TopicIdSubscriptionN).
func (t *translator) topic(p *props, r *Resource) *TopicSpec {
	attrs := map[string]string{}
	if s := p.str("DisplayName"); s != "" {
		attrs["DisplayName"] = s
	}
	for _, k := range []string{"FifoTopic", "ContentBasedDeduplication"} {
		if b := p.boolean(k); b != nil {
			attrs[k] = strconv.FormatBool(*b)
		}
	}
	p.str("TopicName")
	for i, e := range p.list("Subscription") {
		sp := p.item("Subscription", i, e)
		if sp == nil {
			break
		}
		s := &SubscriptionSpec{Protocol: sp.str("Protocol"), Endpoint: sp.str("Endpoint")}
		if s.Protocol == "" || s.Endpoint == "" {
			sp.fail("", "needs Protocol and Endpoint")
		}
		_ = sp.done()
		arn, _ := Attribute(t.in, typeTopic, r.Name, "")
		s.TopicARN = arn
		deps := append([]string{r.LogicalID}, t.source(s.Endpoint)...)
		if id := t.idOf(typeFunction, functionName(s.Endpoint)); id != "" {
			deps = append(deps, id)
		}
		t.add(&Resource{LogicalID: r.LogicalID + "Subscription" + strconv.Itoa(i), Type: typeSubscription,
			Kind: KindSubscription, DependsOn: deps, Subscription: s})
	}
	p.note("messages are stored by JetStream, not encrypted with a KMS key", "KmsMasterKeyId")
	p.note("tags are not kept", "Tags")
	p.note("has no effect here", "TracingConfig", "DeliveryStatusLogging", "SignatureVersion", "DataProtectionPolicy")
	p.refuse("ArchivePolicy", "message archives are not supported")
	if len(attrs) == 0 {
		attrs = nil
	}
	return &TopicSpec{Attributes: attrs}
}

// subscription reads an AWS::SNS::Subscription.
func subscription(p *props) *SubscriptionSpec {
	s := &SubscriptionSpec{TopicARN: p.str("TopicArn"), Protocol: p.str("Protocol"), Endpoint: p.str("Endpoint")}
	for _, k := range []string{"TopicArn", "Protocol", "Endpoint"} {
		if p.m[k] == nil {
			p.fail(k, "is required")
		}
	}
	s.Attributes = subscriptionAttributes(p)
	if b := p.boolean("RawMessageDelivery"); b != nil {
		if s.Attributes == nil {
			s.Attributes = map[string]string{}
		}
		s.Attributes["RawMessageDelivery"] = strconv.FormatBool(*b)
	}
	p.note("topics are of this Updraft's region", "Region")
	p.note("has no effect here", "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy")
	return s
}

// bucket reads an AWS::S3::Bucket: its NotificationConfiguration and CORS.
func (t *translator) bucket(p *props, r *Resource) *BucketSpec {
	b := &BucketSpec{}
	p.str("BucketName")
	if nc := p.obj("NotificationConfiguration"); nc != nil {
		for _, kind := range []struct{ key, kind, target string }{
			{"LambdaConfigurations", "lambda", "Function"},
			{"QueueConfigurations", "queue", "Queue"},
			{"TopicConfigurations", "topic", "Topic"},
		} {
			for i, e := range nc.list(kind.key) {
				c := nc.item(kind.key, i, e)
				if c == nil {
					break
				}
				n := BucketNotification{Kind: kind.kind, Target: c.str(kind.target), Events: c.strings("Event")}
				if n.Target == "" || len(n.Events) == 0 {
					c.fail("", "needs Event and %s", kind.target)
				}
				n.Prefix, n.Suffix = keyFilter(c)
				_ = c.done()
				b.Notifications = append(b.Notifications, n)
				for _, id := range t.source(n.Target) {
					t.notTargeted(r.LogicalID, id)
				}
			}
		}
		nc.refuse("EventBridgeConfiguration", "EventBridge notifications are not supported")
		_ = nc.done()
	}
	if c := p.obj("CorsConfiguration"); c != nil {
		var rules []map[string]any
		for i, e := range c.list("CorsRules") {
			cr := c.item("CorsRules", i, e)
			if cr == nil {
				break
			}
			rule := map[string]any{"AllowedMethods": cr.strings("AllowedMethods"), "AllowedOrigins": cr.strings("AllowedOrigins")}
			if h := cr.strings("AllowedHeaders"); h != nil {
				rule["AllowedHeaders"] = h
			}
			if h := cr.strings("ExposedHeaders"); h != nil {
				rule["ExposeHeaders"] = h
			}
			if age := cr.integer("MaxAge"); age != nil {
				rule["MaxAgeSeconds"] = *age
			}
			if id := cr.str("Id"); id != "" {
				rule["ID"] = id
			}
			_ = cr.done()
			rules = append(rules, rule)
		}
		_ = c.done()
		b.CORS, _ = json.Marshal(map[string]any{"CORSRules": rules})
	}
	if v := p.obj("VersioningConfiguration"); v != nil {
		if st := v.str("Status"); st != "Suspended" {
			v.fail("Status", "object versioning is not supported (Suspended is accepted)")
		}
		_ = v.done()
	}
	p.note("objects are stored by Updraft, not encrypted with a KMS key", "BucketEncryption")
	p.note("buckets are private to their tenant", "PublicAccessBlockConfiguration", "OwnershipControls", "AccessControl")
	p.note("tags are not kept", "Tags")
	p.refuse("LifecycleConfiguration", "lifecycle rules are not supported")
	p.refuse("WebsiteConfiguration", "website hosting is not supported")
	return b
}

// table reads an AWS::DynamoDB::Table.
func table(p *props) *TableSpec {
	s := &TableSpec{BillingMode: p.oneOf("BillingMode", "PAY_PER_REQUEST", "PROVISIONED")}
	p.str("TableName")
	for i, e := range p.list("KeySchema") {
		k := p.item("KeySchema", i, e)
		if k == nil {
			break
		}
		s.KeySchema = append(s.KeySchema, KeyElement{Name: k.str("AttributeName"), Type: k.oneOf("KeyType", "HASH", "RANGE")})
		_ = k.done()
	}
	if len(s.KeySchema) == 0 {
		p.fail("KeySchema", "is required: the table's HASH key (and RANGE key)")
	}
	for i, e := range p.list("AttributeDefinitions") {
		a := p.item("AttributeDefinitions", i, e)
		if a == nil {
			break
		}
		s.Attributes = append(s.Attributes, AttrDef{Name: a.str("AttributeName"), Type: a.oneOf("AttributeType", "S", "N", "B")})
		_ = a.done()
	}
	if ss := p.obj("StreamSpecification"); ss != nil {
		s.StreamView = ss.oneOf("StreamViewType", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
		if s.StreamView == "" {
			ss.fail("StreamViewType", "is required")
		}
		_ = ss.done()
	}
	if ttl := p.obj("TimeToLiveSpecification"); ttl != nil {
		name := ttl.str("AttributeName")
		if en := ttl.boolean("Enabled"); en != nil && *en {
			s.TTLAttribute = name
		}
		_ = ttl.done()
	}
	for _, k := range []string{"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} {
		p.refuse(k, "secondary indexes are not supported yet")
	}
	tableNotes(p)
	p.note("has no effect here", "DeletionProtectionEnabled", "TableClass", "ContributorInsightsSpecification", "KinesisStreamSpecification", "OnDemandThroughput", "WarmThroughput", "ResourcePolicy")
	return s
}

// simpleTable reads an AWS::Serverless::SimpleTable: a hash key only.
func simpleTable(p *props) *TableSpec {
	name, typ := "id", "String"
	if pk := p.obj("PrimaryKey"); pk != nil {
		name, typ = pk.str("Name"), pk.oneOf("Type", "String", "Number", "Binary")
		if name == "" || typ == "" {
			pk.fail("", "needs Name and Type (String, Number or Binary)")
		}
		_ = pk.done()
	}
	p.str("TableName")
	tableNotes(p)
	return &TableSpec{KeySchema: []KeyElement{{Name: name, Type: "HASH"}},
		Attributes: []AttrDef{{Name: name, Type: typ[:1]}}, BillingMode: "PAY_PER_REQUEST"}
}

func tableNotes(p *props) {
	p.note("tables serve every request alike: capacity is not provisioned", "ProvisionedThroughput")
	p.note("items are stored by Updraft, not encrypted with a KMS key", "SSESpecification")
	p.note("point-in-time recovery is not offered", "PointInTimeRecoverySpecification")
	p.note("tags are not kept", "Tags")
}

// mapping reads an AWS::Lambda::EventSourceMapping.
func (t *translator) mapping(p *props) *MappingSpec {
	m := &MappingSpec{EventSourceArn: p.str("EventSourceArn"), FunctionName: functionRef(p.str("FunctionName"))}
	if m.EventSourceArn == "" || m.FunctionName == "" {
		p.fail("", "needs EventSourceArn and FunctionName")
	}
	mappingFields(p, m)
	m.StartingPosition = p.oneOf("StartingPosition", "TRIM_HORIZON", "LATEST")
	m.BisectBatchOnFunctionError = p.boolean("BisectBatchOnFunctionError")
	m.MaximumRetryAttempts = p.integer("MaximumRetryAttempts")
	m.MaximumRecordAgeInSeconds = p.integer("MaximumRecordAgeInSeconds")
	if dc := p.obj("DestinationConfig"); dc != nil {
		if f := dc.obj("OnFailure"); f != nil {
			m.OnFailure = f.str("Destination")
			_ = f.done()
		}
		_ = dc.done()
	}
	if sc := p.obj("ScalingConfig"); sc != nil {
		m.MaximumConcurrency = sc.integer("MaximumConcurrency")
		_ = sc.done()
	}
	p.note("a shard's records are processed one batch at a time", "ParallelizationFactor")
	p.refuse("TumblingWindowInSeconds", "tumbling windows are not supported")
	p.refuse("StartingPositionTimestamp", "AT_TIMESTAMP is not supported: use TRIM_HORIZON or LATEST")
	p.refuse("SelfManagedEventSource", "only SQS queues and DynamoDB streams are event sources here")
	return m
}

// scheduleResource reads an AWS::Scheduler::Schedule.
func scheduleResource(p *props) *ScheduleSpec {
	s := &ScheduleSpec{Description: p.str("Description")}
	p.str("Name")
	schedulerFields(p, s)
	if tg := p.obj("Target"); tg != nil {
		s.TargetARN = tg.str("Arn")
		if !strings.HasPrefix(s.TargetARN, "arn:aws:lambda:") {
			tg.fail("Arn", "schedules invoke functions here: give a function's ARN, not %q", s.TargetARN)
		}
		s.Input = tg.str("Input")
		scheduleRetries(tg, s)
		tg.note("roles are not used: the schedule invokes the function directly", "RoleArn")
		_ = tg.done()
	} else {
		p.fail("Target", "is required: {Arn: the function's ARN}")
	}
	p.refuse("ActionAfterCompletion", "schedules are not deleted after completion here")
	return s
}
