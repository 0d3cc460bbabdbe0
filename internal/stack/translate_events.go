package stack

import (
	"sort"
	"strings"
)

// eventTypes are the function event types Translate takes.
var eventTypes = []string{"Api", "HttpApi", "Schedule", "ScheduleV2", "SQS", "SNS", "S3", "DynamoDB"}

// events reads a function's Events: Api and HttpApi become http triggers
// of the function; the others become resources of their own, with the
// logical id FunctionEventName as SAM gives them, or a notification of
// the bucket they name.
func (t *translator) events(p *props, fnRes *Resource) {
	evs := p.obj("Events")
	if evs == nil {
		return
	}
	names := make([]string, 0, len(evs.m))
	for name := range evs.m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e := evs.obj(name)
		if e == nil {
			continue
		}
		typ := e.str("Type")
		ev := e.obj("Properties")
		if ev == nil {
			ev = &props{id: e.id, typ: e.typ, path: e.at("Properties"), m: map[string]any{}, used: map[string]bool{}, st: e.st}
		}
		switch typ {
		case "Api":
			t.httpEvent(ev, fnRes, name, typeRestAPI)
		case "HttpApi":
			t.httpEvent(ev, fnRes, name, typeHTTPAPI)
		case "Schedule", "ScheduleV2":
			t.scheduleEvent(ev, fnRes, name, typ)
		case "SQS", "DynamoDB":
			t.mappingEvent(ev, fnRes, name, typ)
		case "SNS":
			t.snsEvent(ev, fnRes, name)
		case "S3":
			t.s3Event(ev, fnRes)
		default:
			e.fail("Type", "%q is not an event type Updraft takes: use one of %s", typ, strings.Join(eventTypes, ", "))
		}
		_ = ev.done()
		_ = e.done()
	}
	_ = evs.done()
}

// generated starts a resource an event of fnRes makes.
func (t *translator) generated(fnRes *Resource, event, typ string, kind Kind, deps ...string) *Resource {
	id := fnRes.LogicalID + event
	r := &Resource{LogicalID: id, Type: typ, Kind: kind, DependsOn: append([]string{fnRes.LogicalID}, deps...)}
	t.add(r)
	return r
}

// source is the logical id of the template resource an ARN names, as a
// dependency (none when it is not of this template).
func (t *translator) source(arn string) []string {
	if id, ok := t.byArn[arn]; ok {
		return []string{id}
	}
	return nil
}

// scheduleEvent turns a Schedule (EventBridge rule) or ScheduleV2
// (EventBridge Scheduler) event into a schedule invoking the function.
func (t *translator) scheduleEvent(ev *props, fnRes *Resource, event, typ string) {
	s := &ScheduleSpec{TargetARN: t.target(fnRes), Input: ev.str("Input"), Description: ev.str("Description")}
	name := ev.str("Name")
	if typ == "Schedule" {
		s.Expression = ev.str("Schedule")
		if s.Expression == "" {
			ev.fail("Schedule", "is required: rate(…) or cron(…)")
		}
		if en := ev.boolean("Enabled"); en != nil && !*en {
			s.State = "DISABLED"
		}
		if st := ev.oneOf("State", "ENABLED", "DISABLED"); st != "" {
			s.State = st
		}
		scheduleRetries(ev, s)
		ev.note("has no effect here", "Target", "RoleArn")
	} else {
		schedulerFields(ev, s)
		ev.note("has no effect here", "OmitName", "PermissionsBoundary")
	}
	r := t.generated(fnRes, event, typeSchedule, KindSchedule)
	r.Name = PhysicalName(t.in.Stack, r.LogicalID, typeSchedule, map[string]any{"Name": name})
	r.Schedule = s
}

// schedulerFields reads what EventBridge Scheduler's schedules and
// ScheduleV2 events share (and what a Schedule's Target holds in a
// ScheduleV2 event's top level).
func schedulerFields(p *props, s *ScheduleSpec) {
	s.Expression = p.str("ScheduleExpression")
	if s.Expression == "" {
		p.fail("ScheduleExpression", "is required: rate(…), cron(…) or at(…)")
	}
	s.Timezone = p.str("ScheduleExpressionTimezone")
	s.State = p.oneOf("State", "ENABLED", "DISABLED")
	s.StartDate, s.EndDate = p.str("StartDate"), p.str("EndDate")
	if w := p.obj("FlexibleTimeWindow"); w != nil {
		if w.oneOf("Mode", "OFF", "FLEXIBLE") == "FLEXIBLE" {
			s.FlexibleWindowMins = w.intOr("MaximumWindowInMinutes", 0)
			if s.FlexibleWindowMins < 1 {
				w.fail("MaximumWindowInMinutes", "is required with Mode FLEXIBLE (1 to 1440)")
			}
		} else {
			w.integer("MaximumWindowInMinutes")
		}
		_ = w.done()
	}
	scheduleRetries(p, s)
	if g := p.str("GroupName"); g != "" && g != "default" {
		p.fail("GroupName", "schedules live in the group default only")
	}
	p.note("roles are not used: the schedule invokes the function directly", "RoleArn")
	p.note("has no effect here", "KmsKeyArn")
}

// mappingEvent turns an SQS or DynamoDB event into an event source mapping.
func (t *translator) mappingEvent(ev *props, fnRes *Resource, event, typ string) {
	srcKey := "Queue"
	if typ == "DynamoDB" {
		srcKey = "Stream"
	}
	m := &MappingSpec{EventSourceArn: ev.str(srcKey), FunctionName: qualified(fnRes)}
	if m.EventSourceArn == "" {
		ev.fail(srcKey, "is required: the ARN of the %s", map[string]string{"Queue": "queue", "Stream": "table's stream"}[srcKey])
	}
	mappingFields(ev, m)
	if typ == "SQS" {
		if sc := ev.obj("ScalingConfig"); sc != nil {
			m.MaximumConcurrency = sc.integer("MaximumConcurrency")
			_ = sc.done()
		}
	} else {
		m.StartingPosition = ev.oneOf("StartingPosition", "TRIM_HORIZON", "LATEST")
		if m.StartingPosition == "" {
			ev.fail("StartingPosition", "is required: TRIM_HORIZON or LATEST")
		}
		m.BisectBatchOnFunctionError = ev.boolean("BisectBatchOnFunctionError")
		m.MaximumRetryAttempts = ev.integer("MaximumRetryAttempts")
		m.MaximumRecordAgeInSeconds = ev.integer("MaximumRecordAgeInSeconds")
		if dc := ev.obj("DestinationConfig"); dc != nil {
			m.OnFailure = destination(dc.obj("OnFailure"))
			_ = dc.done()
		}
		ev.note("a shard's records are processed one batch at a time", "ParallelizationFactor")
		ev.refuse("TumblingWindowInSeconds", "tumbling windows are not supported")
		ev.refuse("StartingPositionTimestamp", "AT_TIMESTAMP is not supported: use TRIM_HORIZON or LATEST")
	}
	r := t.generated(fnRes, event, typeMapping, KindMapping, t.source(m.EventSourceArn)...)
	r.Mapping = m
}

// mappingFields reads what SQS and DynamoDB sources share.
func mappingFields(p *props, m *MappingSpec) {
	m.BatchSize = p.integer("BatchSize")
	m.MaximumBatchingWindowInSeconds = p.integer("MaximumBatchingWindowInSeconds")
	m.Enabled = p.boolean("Enabled")
	m.FunctionResponseTypes = p.strings("FunctionResponseTypes")
	for _, rt := range m.FunctionResponseTypes {
		if rt != "ReportBatchItemFailures" {
			p.fail("FunctionResponseTypes", "%q is not ReportBatchItemFailures", rt)
		}
	}
	if p.has("FilterCriteria") {
		m.FilterCriteria = []byte(p.jsonText("FilterCriteria"))
	}
	p.note("has no effect here", "KmsKeyArn", "MetricsConfig", "Tags")
}

// snsEvent subscribes the function to a topic.
func (t *translator) snsEvent(ev *props, fnRes *Resource, event string) {
	s := &SubscriptionSpec{TopicARN: ev.str("Topic"), Protocol: "lambda", Endpoint: t.target(fnRes)}
	if s.TopicARN == "" {
		ev.fail("Topic", "is required: the topic's ARN")
	}
	s.Attributes = subscriptionAttributes(ev)
	ev.refuse("SqsSubscription", "subscribing through a queue is not supported: subscribe the function directly, or add a queue, its subscription and an SQS event")
	ev.note("topics are of this Updraft's region", "Region")
	r := t.generated(fnRes, event, typeSubscription, KindSubscription, t.source(s.TopicARN)...)
	r.Subscription = s
}

// subscriptionAttributes reads FilterPolicy, FilterPolicyScope and
// RedrivePolicy as SNS attributes (JSON text).
func subscriptionAttributes(p *props) map[string]string {
	attrs := map[string]string{}
	if p.has("FilterPolicy") {
		attrs["FilterPolicy"] = p.jsonText("FilterPolicy")
	}
	if s := p.oneOf("FilterPolicyScope", "MessageAttributes", "MessageBody"); s != "" {
		attrs["FilterPolicyScope"] = s
	}
	if p.has("RedrivePolicy") {
		attrs["RedrivePolicy"] = p.jsonText("RedrivePolicy")
	}
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}

// s3Event adds a notification to the bucket the event names (a bucket of
// the template, as SAM requires).
func (t *translator) s3Event(ev *props, fnRes *Resource) {
	name := ev.str("Bucket")
	id := t.idOf(typeBucket, name)
	b := t.byID[id]
	if id == "" || b == nil {
		ev.fail("Bucket", "must be !Ref of an AWS::S3::Bucket of this template (as SAM requires); %q is not", name)
		return
	}
	n := BucketNotification{Kind: "lambda", Target: t.target(fnRes), Events: ev.strings("Events")}
	if len(n.Events) == 0 {
		ev.fail("Events", "is required: s3:ObjectCreated:*, …")
	}
	n.Prefix, n.Suffix = keyFilter(ev)
	b.Bucket.Notifications = append(b.Bucket.Notifications, n)
	t.notTargeted(id, fnRes.LogicalID)
}

// notTargeted records that bucket id's notifications name target: the
// bucket does not wait for it (its notifications are applied later).
func (t *translator) notTargeted(bucket, target string) {
	if t.notTarget[bucket] == nil {
		t.notTarget[bucket] = map[string]bool{}
	}
	t.notTarget[bucket][target] = true
}

// keyFilter reads Filter.S3Key.Rules: [{Name: prefix|suffix, Value}].
func keyFilter(p *props) (prefix, suffix string) {
	f := p.obj("Filter")
	if f == nil {
		return "", ""
	}
	if k := f.obj("S3Key"); k != nil {
		for i, e := range k.list("Rules") {
			rule := k.item("Rules", i, e)
			if rule == nil {
				break
			}
			switch name := strings.ToLower(rule.str("Name")); name {
			case "prefix":
				prefix = rule.str("Value")
			case "suffix":
				suffix = rule.str("Value")
			default:
				rule.fail("Name", "%q is not prefix or suffix", name)
			}
			_ = rule.done()
		}
		_ = k.done()
	}
	_ = f.done()
	return prefix, suffix
}

// scheduleRetries reads a schedule's RetryPolicy and DeadLetterConfig
// (noted: scheduleRetryNote).
func scheduleRetries(p *props, s *ScheduleSpec) {
	p.note(scheduleRetryNote, "RetryPolicy", "DeadLetterConfig")
	if rp := p.obj("RetryPolicy"); rp != nil {
		s.MaxRetries, s.MaxEventAgeSec = rp.integer("MaximumRetryAttempts"), rp.integer("MaximumEventAgeInSeconds")
		_ = rp.done()
	}
	if dl := p.obj("DeadLetterConfig"); dl != nil {
		s.DeadLetterARN = dl.str("Arn")
		if s.DeadLetterARN == "" {
			dl.fail("Arn", "is required: the ARN of a queue (Updraft does not make one for you)")
		}
		dl.str("Type")
		dl.refuse("QueueLogicalId", "Updraft does not make a dead-letter queue: give Arn")
		_ = dl.done()
	}
}

// scheduleRetryNote says what a schedule's RetryPolicy and
// DeadLetterConfig become: Updraft delivers each tick as an asynchronous
// invocation, retried and dead-lettered by the function's own settings.
const scheduleRetryNote = "a tick is delivered as an asynchronous invocation and retried or sent to a failure destination by the function's EventInvokeConfig and DeadLetterQueue; the schedule's own retry policy and dead-letter queue are not applied"
