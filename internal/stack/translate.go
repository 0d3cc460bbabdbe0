package stack

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The template types Translate makes resources of.
const (
	typeFunction     = "AWS::Serverless::Function"
	typeHTTPAPI      = "AWS::Serverless::HttpApi"
	typeRestAPI      = "AWS::Serverless::Api"
	typeSimpleTable  = "AWS::Serverless::SimpleTable"
	typeQueue        = "AWS::SQS::Queue"
	typeTopic        = "AWS::SNS::Topic"
	typeSubscription = "AWS::SNS::Subscription"
	typeBucket       = "AWS::S3::Bucket"
	typeTable        = "AWS::DynamoDB::Table"
	typeMapping      = "AWS::Lambda::EventSourceMapping"
	typeSchedule     = "AWS::Scheduler::Schedule"
	typePermission   = "AWS::Lambda::Permission"
	typeRole         = "AWS::IAM::Role"
)

// madeTypes are the types Translate accepts, for the refusal of others.
var madeTypes = []string{typeFunction, typeHTTPAPI, typeRestAPI, typeSimpleTable, typeQueue, typeTopic,
	typeSubscription, typeBucket, typeTable, typeMapping, typeSchedule, typePermission, typeRole}

// translator holds one Translate call's state.
type translator struct {
	in  Inputs
	res *Resolved

	out       []*Resource
	byID      map[string]*Resource
	byArn     map[string]string // an ARN (or queue URL) of a template resource → its logical id
	byName    map[string]string // type + "/" + physical name → logical id
	apis      map[string]*apiDef
	routes    map[string]string // route key → "Function.Event" declaring it
	fnNotes   map[string][]string
	notTarget map[string]map[string]bool // bucket id → ids its notifications name (not dependencies)
}

// Translate turns a resolved template's resources into the platform
// Resources a plan applies, and its outputs with API Gateway URLs of the
// template's APIs pointed at the routes listener. Every property is
// applied, noted (accepted, with no effect here, saying why) or refused
// with the resource and property named.
//
// AWS::Lambda::Permission and AWS::IAM::Role make no resource: the events
// a template declares may invoke their functions, and functions'
// permissions come from Policies. Their note goes to the function they
// name (a Permission's FunctionName, a function whose properties refer to
// the Role), and references to them are dropped from DependsOn.
func Translate(r *Resolved, in Inputs) ([]Resource, []Output, error) {
	t := &translator{in: in, res: r, byID: map[string]*Resource{}, byArn: map[string]string{},
		byName: map[string]string{}, apis: map[string]*apiDef{}, routes: map[string]string{},
		fnNotes: map[string][]string{}, notTarget: map[string]map[string]bool{}}
	t.index()
	// Functions last: their events add to buckets and APIs made before.
	for pass := range 2 {
		for i := range r.Resources {
			raw := &r.Resources[i]
			if (raw.Type == typeFunction) != (pass == 1) {
				continue
			}
			if err := t.resource(raw); err != nil {
				return nil, nil, err
			}
		}
	}
	out := make([]Resource, 0, len(t.out))
	for _, res := range t.out {
		res.DependsOn = t.dependencies(res)
		out = append(out, *res)
	}
	return out, t.outputs(r.Outputs), nil
}

// index records every template resource's names and ARNs, so that a value
// (a queue ARN, a bucket name, an API id) leads back to its resource.
func (t *translator) index() {
	for _, raw := range t.res.Resources {
		name := PhysicalName(t.in.Stack, raw.LogicalID, raw.Type, raw.Properties)
		t.byName[raw.Type+"/"+name] = raw.LogicalID
		for _, attr := range []string{"Arn", "StreamArn", "", "QueueUrl"} {
			if v, err := Attribute(t.in, raw.Type, name, attr); err == nil && strings.Contains(v, ":") {
				t.byArn[v] = raw.LogicalID
			}
		}
	}
}

// idOf is the logical id of the template resource of typ named name ("" if none).
func (t *translator) idOf(typ, name string) string { return t.byName[typ+"/"+name] }

func (t *translator) add(r *Resource) {
	t.out = append(t.out, r)
	t.byID[r.LogicalID] = r
}

// newResource starts the Resource of raw.
func (t *translator) newResource(raw *Raw, kind Kind) *Resource {
	return &Resource{LogicalID: raw.LogicalID, Type: raw.Type, Kind: kind,
		Name: PhysicalName(t.in.Stack, raw.LogicalID, raw.Type, raw.Properties), DependsOn: slices.Clone(raw.DependsOn)}
}

func (t *translator) resource(raw *Raw) error {
	p := newProps(raw.LogicalID, raw.Type, raw.Properties)
	var r *Resource
	switch raw.Type {
	case typeFunction:
		return t.function(raw)
	case typeHTTPAPI, typeRestAPI:
		r = t.newResource(raw, KindAPI)
		t.api(p, r)
	case typeQueue:
		r = t.newResource(raw, KindQueue)
		r.Queue = queue(p)
	case typeTopic:
		r = t.newResource(raw, KindTopic)
		r.Topic = t.topic(p, r)
	case typeSubscription:
		r = t.newResource(raw, KindSubscription)
		r.Name = ""
		r.Subscription = subscription(p)
	case typeBucket:
		r = t.newResource(raw, KindBucket)
		r.Bucket = t.bucket(p, r)
	case typeTable:
		r = t.newResource(raw, KindTable)
		r.Table = table(p)
	case typeSimpleTable:
		r = t.newResource(raw, KindTable)
		r.Table = simpleTable(p)
	case typeMapping:
		r = t.newResource(raw, KindMapping)
		r.Name = ""
		r.Mapping = t.mapping(p)
	case typeSchedule:
		r = t.newResource(raw, KindSchedule)
		r.Schedule = scheduleResource(p)
	case typePermission, typeRole:
		return t.unmade(raw, p)
	default:
		return propError(raw.LogicalID, raw.Type, "", "Updraft does not make resources of this type; the types it makes are %s", strings.Join(madeTypes, ", "))
	}
	if err := p.done(); err != nil {
		return err
	}
	r.Notes = append(r.Notes, p.st.notes...)
	t.add(r)
	return nil
}

// unmade accepts a Permission or a Role: nothing to make, a note for the
// functions concerned.
func (t *translator) unmade(raw *Raw, p *props) error {
	var note string
	var fns []string
	if raw.Type == typePermission {
		name := p.str("FunctionName")
		p.str("Action")
		p.str("Principal")
		p.str("SourceArn")
		p.str("SourceAccount")
		p.str("FunctionUrlAuthType")
		p.str("EventSourceToken")
		p.str("PrincipalOrgID")
		note = raw.LogicalID + " (AWS::Lambda::Permission): no permission to grant here: the events the template declares invoke the function"
		if id := t.idOf(typeFunction, functionName(name)); id != "" {
			fns = append(fns, id)
		}
	} else {
		for k := range raw.Properties {
			p.get(k) // a role's policies grant nothing here: functions' Policies do
		}
		note = raw.LogicalID + " (AWS::IAM::Role): roles are not used: a function's permissions come from its Policies"
		for _, f := range t.res.Resources {
			if f.Type == typeFunction && slices.Contains(f.DependsOn, raw.LogicalID) {
				fns = append(fns, f.LogicalID)
			}
		}
	}
	if err := p.done(); err != nil {
		return err
	}
	for _, id := range fns {
		t.fnNotes[id] = append(t.fnNotes[id], note)
	}
	return nil
}

// dependencies are r's DependsOn that name platform resources (a Role or
// a Permission makes none; a bucket's notification targets are applied
// after it, not before), sorted, without duplicates.
func (t *translator) dependencies(r *Resource) []string {
	var out []string
	for _, id := range r.DependsOn {
		if _, ok := t.byID[id]; !ok || id == r.LogicalID || t.notTarget[r.LogicalID][id] {
			continue
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// apiURL is an API Gateway invoke URL: https://ID.execute-api.REGION.amazonaws.com/REST.
var apiURL = regexp.MustCompile(`^https?://([^./]+)\.execute-api\.[^/]+\.amazonaws\.com(/.*)?$`)

// outputs rewrites URLs of the template's APIs to the routes listener:
// routes are served at its root, without a stage segment.
func (t *translator) outputs(outs []Output) []Output {
	res := make([]Output, len(outs))
	for i, o := range outs {
		res[i] = o
		m := apiURL.FindStringSubmatch(o.Value)
		if m == nil || t.in.RoutesURL == "" {
			continue
		}
		var api *apiDef
		for _, a := range t.apis {
			if t.byID[a.id] != nil && t.byID[a.id].Name == m[1] {
				api = a
			}
		}
		if api == nil {
			continue
		}
		path := strings.TrimPrefix(m[2], "/")
		if first, rest, _ := strings.Cut(path, "/"); api.stage != "" && api.stage != "$default" && first == api.stage {
			path = rest
		}
		res[i].Value = strings.TrimSuffix(t.in.RoutesURL, "/") + "/" + path
	}
	return res
}
