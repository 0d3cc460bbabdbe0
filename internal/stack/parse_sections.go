package stack

import (
	"fmt"
	"slices"
	"strings"
)

// globalProperties are the properties each Globals section may set, as
// aws-sam-translator's Globals.supported_properties lists them.
var globalProperties = map[string][]string{
	"Function": {"Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout",
		"VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
		"AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
		"ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
		"EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
		"EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop",
		"SourceKMSKeyArn"},
	"Api": {"Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize", "MergeDefinitions",
		"Variables", "EndpointConfiguration", "MethodSettings", "BinaryMediaTypes", "MinimumCompressionSize",
		"Cors", "GatewayResponses", "AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion",
		"Domain", "AlwaysDeploy", "PropagateTags"},
	"HttpApi": {"Auth", "AccessLogSettings", "StageVariables", "Tags", "CorsConfiguration",
		"DefaultRouteSettings", "Domain", "RouteSettings", "FailOnWarnings", "PropagateTags"},
	"SimpleTable": {"SSESpecification"},
}

// globalSections are the Globals keys, sorted.
var globalSections = []string{"Api", "Function", "HttpApi", "SimpleTable"}

func parseGlobals(t *Template, top map[string]any) error {
	g, err := optMap(top, "Globals", "Globals")
	if err != nil {
		return err
	}
	for _, section := range sortedKeys(g) {
		allowed, ok := globalProperties[section]
		if !ok {
			return invalid("Globals.%s: not a Globals section Updraft supports: use %s", section, strings.Join(globalSections, ", "))
		}
		props, ok := g[section].(map[string]any)
		if !ok {
			return invalid("Globals.%s: must be a mapping of properties, not %s", section, kindOf(g[section]))
		}
		for _, k := range sortedKeys(props) {
			if !slices.Contains(allowed, k) {
				return invalid("Globals.%s.%s: not a property Globals may set for %s: use %s", section, k, section, strings.Join(allowed, ", "))
			}
		}
		t.Globals[section] = props
	}
	return nil
}

// resourceAttributes are the keys a resource entry may hold.
var resourceAttributes = []string{"Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy",
	"UpdateReplacePolicy", "IgnoreGlobals"}

func parseResources(t *Template, top map[string]any) error {
	rs, ok := top["Resources"].(map[string]any)
	if !ok || len(rs) == 0 {
		if _, present := top["Resources"]; present && !ok && top["Resources"] != nil {
			return invalid("Resources: must be a mapping of resources, not %s", kindOf(top["Resources"]))
		}
		return invalid("Resources: the template declares no resources")
	}
	serverless := ""
	for _, id := range sortedKeys(rs) {
		path := "Resources." + id
		if !validLogicalID(id) {
			return invalid("%s: a logical id holds only letters and digits", path)
		}
		if _, clash := t.Parameters[id]; clash {
			return invalid("%s: a parameter has the same name: a logical id names one parameter or resource", path)
		}
		m, ok := rs[id].(map[string]any)
		if !ok {
			return invalid("%s: must be a mapping with a Type, not %s", path, kindOf(rs[id]))
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(resourceAttributes, k) {
				return invalid("%s.%s: not a resource attribute Updraft supports: use %s", path, k, strings.Join(resourceAttributes, ", "))
			}
		}
		var r TemplateResource
		var err error
		if r.Type, err = optString(m, "Type", path+".Type"); err != nil {
			return err
		}
		if r.Type == "" {
			return invalid("%s: Type is required", path)
		}
		if strings.HasPrefix(r.Type, "AWS::Serverless::") && serverless == "" {
			serverless = id
		}
		if r.Condition, err = optString(m, "Condition", path+".Condition"); err != nil {
			return err
		}
		if r.Properties, err = optMap(m, "Properties", path+".Properties"); err != nil {
			return err
		}
		if r.Metadata, err = optMap(m, "Metadata", path+".Metadata"); err != nil {
			return err
		}
		switch d := m["DependsOn"].(type) {
		case nil:
		case []any:
			r.DependsOn = d
		default:
			r.DependsOn = []any{d}
		}
		for _, k := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if v, ok := m[k]; ok && v != "Delete" {
				return invalid("%s.%s: %v is not supported: a stack deletes what it made (use Delete or leave it out)", path, k, v)
			}
		}
		r.IgnoreGlobals = m["IgnoreGlobals"]
		t.Resources[id] = r
	}
	if serverless != "" && !slices.Contains(t.Transforms, SAMTransform) {
		return invalid("Resources.%s: AWS::Serverless resources need `Transform: %s` in the template", serverless, SAMTransform)
	}
	return nil
}

func validLogicalID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func parseOutputs(t *Template, top map[string]any) error {
	outs, err := optMap(top, "Outputs", "Outputs")
	if err != nil {
		return err
	}
	for _, key := range sortedKeys(outs) {
		path := "Outputs." + key
		m, ok := outs[key].(map[string]any)
		if !ok {
			return invalid("%s: must be a mapping with a Value, not %s", path, kindOf(outs[key]))
		}
		var o TemplateOutput
		for _, k := range sortedKeys(m) {
			switch k {
			case "Value":
				o.Value = m[k]
			case "Description", "Condition":
				s, err := optString(m, k, path+"."+k)
				if err != nil {
					return err
				}
				if k == "Description" {
					o.Description = s
				} else {
					o.Condition = s
				}
			case "Export":
				return invalid("%s.Export: cross-stack exports are not supported (Updraft has no Fn::ImportValue)", path)
			default:
				return invalid("%s.%s: not an output property: use Value, Description, Condition", path, k)
			}
		}
		if o.Value == nil {
			return invalid("%s: Value is required", path)
		}
		t.Outputs[key] = o
	}
	return nil
}

// describe is a short text of a value for a refusal.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return kindOf(v)
}
