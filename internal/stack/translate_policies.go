package stack

import (
	"fmt"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
)

// policyTemplate is a SAM policy template: the parameter naming its
// resource and the statements it grants, as AWS's policy_templates.json
// writes them (resources built from the parameter's value).
type policyTemplate struct {
	param string
	grant func(t *translator, v string) []fn.Statement
}

var (
	dynamoRead  = []string{"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"}
	dynamoWrite = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
	dynamoCrud  = []string{"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
		"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"}
	s3Read  = []string{"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"}
	s3Write = []string{"s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"}
	s3Crud  = []string{"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject",
		"s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"}
)

func (t *translator) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, t.in.Region, t.in.AccountID, resource)
}

func (t *translator) tableGrant(actions []string, index bool) func(*translator, string) []fn.Statement {
	return func(t *translator, table string) []fn.Statement {
		res := []string{t.arn("dynamodb", "table/"+table)}
		if index {
			res = append(res, t.arn("dynamodb", "table/"+table+"/index/*"))
		}
		return []fn.Statement{{Actions: actions, Resources: res}}
	}
}

func bucketGrant(actions []string) func(*translator, string) []fn.Statement {
	return func(_ *translator, b string) []fn.Statement {
		return []fn.Statement{{Actions: actions, Resources: []string{"arn:aws:s3:::" + b, "arn:aws:s3:::" + b + "/*"}}}
	}
}

func (t *translator) policyTemplates() map[string]policyTemplate {
	return map[string]policyTemplate{
		"DynamoDBCrudPolicy":  {"TableName", t.tableGrant(dynamoCrud, true)},
		"DynamoDBReadPolicy":  {"TableName", t.tableGrant(dynamoRead, true)},
		"DynamoDBWritePolicy": {"TableName", t.tableGrant(dynamoWrite, true)},
		"DynamoDBStreamReadPolicy": {"TableName", func(t *translator, table string) []fn.Statement {
			return []fn.Statement{{Actions: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"},
				Resources: []string{t.arn("dynamodb", "table/"+table+"/stream/*")}}}
		}},
		"SQSSendMessagePolicy": {"QueueName", func(t *translator, q string) []fn.Statement {
			return []fn.Statement{{Actions: []string{"sqs:SendMessage*"}, Resources: []string{t.arn("sqs", q)}}}
		}},
		"SQSPollerPolicy": {"QueueName", func(t *translator, q string) []fn.Statement {
			return []fn.Statement{{Actions: []string{"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
				"sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, Resources: []string{t.arn("sqs", q)}}}
		}},
		"SNSPublishMessagePolicy": {"TopicName", func(t *translator, topic string) []fn.Statement {
			return []fn.Statement{{Actions: []string{"sns:Publish"}, Resources: []string{t.arn("sns", topic)}}}
		}},
		"S3ReadPolicy":  {"BucketName", bucketGrant(s3Read)},
		"S3WritePolicy": {"BucketName", bucketGrant(s3Write)},
		"S3CrudPolicy":  {"BucketName", bucketGrant(s3Crud)},
		"LambdaInvokePolicy": {"FunctionName", func(t *translator, f string) []fn.Statement {
			return []fn.Statement{{Actions: []string{"lambda:InvokeFunction"}, Resources: []string{fn.ARN(t.in.Tenant, f, "") + "*"}}}
		}},
	}
}

// policies reads Policies into the function's permissions: SAM policy
// templates and inline Allow statements map to statements; AWS managed
// policy names are noted. No Policies, or only managed names: nil, every
// resource of the tenant.
func (t *translator) policies(p *props) fn.Permissions {
	v, ok := p.get("Policies")
	if !ok {
		return nil
	}
	var perms fn.Permissions
	managed := 0
	templates := t.policyTemplates()
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for i, e := range list {
		path := "Policies[" + strconv.Itoa(i) + "]"
		switch x := e.(type) {
		case string:
			managed++
			p.st.notes = append(p.st.notes, path+": the managed policy "+x+" is not applied: permissions come from policy templates and statements")
		case map[string]any:
			if _, ok := x["Statement"]; ok {
				perms = append(perms, t.statements(p.item("Policies", i, e))...)
				continue
			}
			if len(x) != 1 {
				p.fail(path, "a policy template is a mapping with one key (DynamoDBCrudPolicy: {TableName: …}) or a policy document with Statement")
				continue
			}
			for name := range x {
				tmpl, ok := templates[name]
				if !ok {
					p.fail(path, "the policy template %s is not supported: use an inline Statement, or one of DynamoDBCrudPolicy, DynamoDBReadPolicy, DynamoDBWritePolicy, DynamoDBStreamReadPolicy, SQSSendMessagePolicy, SQSPollerPolicy, SNSPublishMessagePolicy, S3ReadPolicy, S3WritePolicy, S3CrudPolicy, LambdaInvokePolicy", name)
					continue
				}
				ap := p.item("Policies", i, e).obj(name)
				if ap == nil {
					p.fail(path+"."+name, "needs its parameter %s", tmpl.param)
					continue
				}
				value := ap.str(tmpl.param)
				if value == "" {
					ap.fail(tmpl.param, "is required")
				}
				ap.note("has no effect here", "StreamName", "IndexName")
				if ap.done() == nil {
					perms = append(perms, tmpl.grant(t, value)...)
				}
			}
		default:
			p.fail(path, "must be a managed policy name, a policy template or a policy document, not %s", kindOf(e))
		}
	}
	if perms == nil {
		if managed > 0 {
			p.st.notes = append(p.st.notes, "Policies: none maps to a permission here, so the function may use every resource of its tenant")
		}
		return nil
	}
	return perms
}

// statements maps a policy document's Allow statements.
func (t *translator) statements(doc *props) []fn.Statement {
	if doc == nil {
		return nil
	}
	doc.str("Version")
	var out []fn.Statement
	for i, e := range doc.list("Statement") {
		s := doc.item("Statement", i, e)
		if s == nil {
			return nil
		}
		if eff := s.str("Effect"); eff != "Allow" {
			s.fail("Effect", "only Allow statements are supported (a function's permissions list what it may do), not %q", eff)
		}
		st := fn.Statement{Actions: s.strings("Action"), Resources: s.strings("Resource")}
		if len(st.Actions) == 0 {
			s.fail("Action", "is required")
		}
		if len(st.Resources) == 0 {
			s.fail("Resource", "is required")
		}
		s.refuse("NotAction", "NotAction is not supported: list the actions allowed")
		s.refuse("NotResource", "NotResource is not supported: list the resources allowed")
		s.refuse("Condition", "conditions are not supported")
		s.note("has no effect here", "Sid", "Principal")
		if s.done() != nil {
			return nil
		}
		out = append(out, st)
	}
	_ = doc.done()
	return out
}
