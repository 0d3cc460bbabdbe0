package stack

import (
	"encoding/json"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// function translates an AWS::Serverless::Function and its events.
func (t *translator) function(raw *Raw) error {
	p := newProps(raw.LogicalID, raw.Type, raw.Properties)
	r := t.newResource(raw, KindFunction)
	spec := &FunctionSpec{}
	r.Function = spec

	switch v, _ := p.get("CodeUri"); c := v.(type) {
	case string:
		if strings.HasPrefix(c, "s3://") {
			p.fail("CodeUri", "an S3 location is not read here: deploy from a directory; sam build's .aws-sam/build works too")
		}
		spec.CodeURI = c
	case nil:
		if !p.has("InlineCode") && p.str("PackageType") != "Image" {
			p.fail("CodeUri", "is required: the directory of the function's code")
		}
	default:
		p.fail("CodeUri", "an S3 location is not read here: deploy from a directory; sam build's .aws-sam/build works too")
	}
	p.refuse("InlineCode", "inline code is not deployed here: put the code in a directory and name it in CodeUri")
	if pt := p.str("PackageType"); pt == "Image" {
		p.fail("PackageType", "container images are not run here: deploy a Zip package (CodeUri a directory)")
	} else if pt != "" && pt != "Zip" {
		p.fail("PackageType", "%q is not Zip or Image", pt)
	}
	p.refuse("ImageUri", "container images are not run here: deploy a Zip package (CodeUri a directory)")
	p.refuse("ImageConfig", "container images are not run here: deploy a Zip package (CodeUri a directory)")
	p.refuse("Layers", "layers are not supported: include the layer's files in the function's code directory")
	p.refuse("FileSystemConfigs", "file systems are not mounted here")

	spec.Handler = p.str("Handler")
	spec.Runtime = p.str("Runtime")
	if spec.Runtime == "" {
		p.fail("Runtime", "is required (one of %s)", strings.Join(fn.RuntimeNames(), ", "))
	} else if _, _, err := fn.ResolveRuntime(spec.Runtime); err != nil {
		p.fail("Runtime", "%s is not a runtime Updraft runs: use one of %s", spec.Runtime, strings.Join(fn.RuntimeNames(), ", "))
	}
	spec.MemoryMB = p.intOr("MemorySize", 0)
	spec.TimeoutSec = p.intOr("Timeout", 0)
	spec.Description = p.str("Description")
	if e := p.obj("EphemeralStorage"); e != nil {
		spec.EphemeralMB = e.intOr("Size", 0)
		_ = e.done()
	}
	if e := p.obj("Environment"); e != nil {
		if vars := e.obj("Variables"); vars != nil {
			spec.Env = map[string]string{}
			for k := range vars.m {
				spec.Env[k] = vars.str(k)
			}
		}
		_ = e.done()
	}
	spec.Reserved = p.integer("ReservedConcurrentExecutions")
	spec.Alias = p.str("AutoPublishAlias")
	if pc := p.obj("ProvisionedConcurrencyConfig"); pc != nil {
		spec.Provisioned = pc.intOr("ProvisionedConcurrentExecutions", 0)
		_ = pc.done()
		if spec.Alias == "" {
			p.fail("ProvisionedConcurrencyConfig", "needs AutoPublishAlias: provisioned concurrency is kept on the alias")
		}
	}
	t.deployment(p, spec)
	t.eventInvoke(p, spec)
	if d := p.obj("DeadLetterQueue"); d != nil {
		d.oneOf("Type", "SQS", "SNS")
		spec.DeadLetterARN = d.str("TargetArn")
		if spec.DeadLetterARN == "" {
			d.fail("TargetArn", "is required: the ARN of the queue or topic")
		}
		_ = d.done()
	}
	if u := p.obj("FunctionUrlConfig"); u != nil {
		spec.URL = &URLSpec{AuthType: u.oneOf("AuthType", "NONE", "AWS_IAM")}
		if spec.URL.AuthType == "" {
			u.fail("AuthType", "is required: NONE or AWS_IAM")
		}
		if c := u.obj("Cors"); c != nil {
			c.strings("AllowOrigins")
			c.strings("AllowMethods")
			c.strings("AllowHeaders")
			c.strings("ExposeHeaders")
			c.integer("MaxAge")
			c.boolean("AllowCredentials")
			spec.URL.CORS, _ = json.Marshal(c.m)
			_ = c.done()
		}
		if m := u.oneOf("InvokeMode", "BUFFERED", "RESPONSE_STREAM"); m == "RESPONSE_STREAM" {
			u.fail("InvokeMode", "response streaming is not supported: use BUFFERED")
		}
		_ = u.done()
	}
	p.str("FunctionName") // in r.Name
	spec.Permissions = t.policies(p)
	p.note("functions run on the host's architecture", "Architectures")
	p.note("tracing goes to Updraft's OpenTelemetry exporter when one is configured", "Tracing")
	p.note("tags are not kept", "Tags", "PropagateTags")
	p.note("roles are not used: a function's permissions come from its Policies", "Role", "PermissionsBoundary", "AssumeRolePolicyDocument", "RolePath")
	p.note("environment variables are stored sealed by Updraft, not with a KMS key", "KmsKeyArn")
	p.note("functions reach the host's network", "VpcConfig")
	p.note("has no effect here", "RuntimeManagementConfig", "SnapStart", "CodeSigningConfigArn",
		"AutoPublishCodeSha256", "AutoPublishAliasAllProperties", "VersionDescription", "LoggingConfig", "RecursiveLoop")
	if notes := t.fnNotes[raw.LogicalID]; len(notes) > 0 {
		r.Notes = append(r.Notes, notes...)
	}
	t.add(r)
	t.events(p, r)
	if err := p.done(); err != nil {
		return err
	}
	r.Notes = append(r.Notes, p.st.notes...)
	return nil
}

// deployment reads DeploymentPreference.
func (t *translator) deployment(p *props, spec *FunctionSpec) {
	d := p.obj("DeploymentPreference")
	if d == nil {
		return
	}
	dp := &DeploymentPreference{Type: d.str("Type"), Enabled: true}
	if e := d.boolean("Enabled"); e != nil {
		dp.Enabled = *e
	}
	if dp.Type == "" {
		d.fail("Type", "is required: AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute, …")
	} else if _, err := ParseDeploymentType(dp.Type); err != nil {
		d.fail("Type", "%s", fn.AsError(err).Message)
	}
	if h := d.obj("Hooks"); h != nil {
		dp.PreTraffic = functionName(h.str("PreTraffic"))
		dp.PostTraffic = functionName(h.str("PostTraffic"))
		_ = h.done()
	}
	d.note("replaced by the error-rate guard (MaxErrorRate): a new version erroring on more than "+
		"5% of its calls during the shift rolls back", "Alarms")
	d.note("roles are not used", "Role")
	d.note("has no effect here", "PassthroughCondition")
	d.refuse("TriggerConfigurations", "deployment notifications are not supported")
	_ = d.done()
	if spec.Alias == "" {
		p.fail("DeploymentPreference", "needs AutoPublishAlias: a deployment moves the alias")
	}
	spec.Deployment = dp
}

// eventInvoke reads EventInvokeConfig.
func (t *translator) eventInvoke(p *props, spec *FunctionSpec) {
	e := p.obj("EventInvokeConfig")
	if e == nil {
		return
	}
	ei := &EventInvokeSpec{MaxRetries: e.integer("MaximumRetryAttempts"), MaxAgeSec: e.integer("MaximumEventAgeInSeconds")}
	if dc := e.obj("DestinationConfig"); dc != nil {
		ei.OnSuccess = destination(dc.obj("OnSuccess"))
		ei.OnFailure = destination(dc.obj("OnFailure"))
		_ = dc.done()
	}
	_ = e.done()
	spec.EventInvoke = ei
}

// destination reads {Type, Destination}: an ARN of a queue, topic or function.
func destination(d *props) string {
	if d == nil {
		return ""
	}
	typ := d.oneOf("Type", "SQS", "SNS", "Lambda", "EventBridge", "S3Bucket")
	if typ == "EventBridge" || typ == "S3Bucket" {
		d.fail("Type", "%s destinations are not supported: use SQS, SNS or Lambda", typ)
	}
	arn := d.str("Destination")
	if arn == "" {
		d.fail("Destination", "is required: the ARN of the queue, topic or function (Updraft does not make one for you)")
	}
	_ = d.done()
	return arn
}

// functionName is the function a name or ARN names, without qualifier.
func functionName(s string) string {
	name, _, _ := strings.Cut(functionRef(s), ":")
	return name
}

// functionRef turns a function ARN into NAME[:QUALIFIER]; a name stays.
func functionRef(s string) string {
	if rest, ok := strings.CutPrefix(s, "arn:"); ok {
		if _, after, ok := strings.Cut(rest, ":function:"); ok {
			return after
		}
	}
	return s
}

// target is the ARN events invoke: the alias when AutoPublishAlias is set
// (SAM points every event at the alias).
func (t *translator) target(r *Resource) string {
	return fn.ARN(t.in.Tenant, r.Name, r.Function.Alias)
}

// qualified is NAME or NAME:ALIAS.
func qualified(r *Resource) string {
	if r.Function.Alias != "" {
		return r.Name + ":" + r.Function.Alias
	}
	return r.Name
}
