package stack

import (
	"encoding/json"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// The implicit APIs SAM makes for events that name none.
const (
	implicitRestAPI = "ServerlessRestApi"
	implicitHTTPAPI = "ServerlessHttpApi"
)

// apiDef is what an API's routes share: its authorizers, CORS and models.
type apiDef struct {
	id          string
	protocol    string // HTTP or REST
	stage       string
	authorizers map[string]*routeAuth
	defaultAuth string
	apiKey      bool
	cors        *httpCORS
	models      map[string]any
}

// routeAuth is an authorizer as an http trigger declares it.
type routeAuth struct {
	auth     string // jwt or function:NAME
	jwt      *httpJWT
	identity []string
	ttl      *int
}

// httpTrigger is a `type: http` trigger (internal/httpapi's fields).
type httpTrigger struct {
	Type            string          `json:"type"`
	Route           string          `json:"route"`
	Qualifier       string          `json:"qualifier,omitempty"`
	Auth            string          `json:"auth,omitempty"`
	JWT             *httpJWT        `json:"jwt,omitempty"`
	IdentitySource  []string        `json:"identitySource,omitempty"`
	TTL             *int            `json:"ttl,omitempty"`
	Schema          json.RawMessage `json:"schema,omitempty"`
	RequiredQuery   []string        `json:"requiredQuery,omitempty"`
	RequiredHeaders []string        `json:"requiredHeaders,omitempty"`
	CORS            *httpCORS       `json:"cors,omitempty"`
	// PayloadFormatVersion is the event the function gets: "1.0" for an
	// Api (REST) event or an HttpApi event that asks for it, else 2.0.
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty"`
	// Stage is the event's requestContext.stage when not $default.
	Stage string `json:"stage,omitempty"`
}

type httpJWT struct {
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"`
}

type httpCORS struct {
	Origins       []string `json:"origins"`
	Methods       []string `json:"methods,omitempty"`
	Headers       []string `json:"headers,omitempty"`
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	MaxAge        int      `json:"maxAge,omitempty"`
	Credentials   bool     `json:"credentials,omitempty"`
}

// api reads an AWS::Serverless::HttpApi or Api into r and t.apis.
func (t *translator) api(p *props, r *Resource) {
	a := &apiDef{id: r.LogicalID, protocol: "HTTP", stage: "$default", authorizers: map[string]*routeAuth{}}
	if r.Type == typeRestAPI {
		a.protocol, a.stage = "REST", "Prod"
	}
	if s := p.str("StageName"); s != "" {
		a.stage = s
	}
	for _, k := range []string{"DefinitionBody", "DefinitionUri", "Domain"} {
		p.refuse(k, "OpenAPI definitions and custom domains are not read here: declare routes as the functions' events")
	}
	p.refuse("StageVariables", "stage variables are not supported")
	p.refuse("Variables", "stage variables are not supported")
	p.refuse("GatewayResponses", "custom gateway responses are not supported")
	p.note("API Gateway settings with no effect on Updraft's routes", "Name", "Description", "Tags", "PropagateTags",
		"AccessLogSettings", "AccessLogSetting", "DefaultRouteSettings", "RouteSettings", "MethodSettings", "FailOnWarnings",
		"DisableExecuteApiEndpoint", "TracingEnabled", "EndpointConfiguration", "OpenApiVersion", "CacheClusterEnabled",
		"CacheClusterSize", "MinimumCompressionSize", "AlwaysDeploy", "ApiKeySourceType", "Mode", "CanarySetting")
	p.note("bodies that are not text reach the function base64-encoded, as API Gateway sends them", "BinaryMediaTypes")
	if r.Type == typeRestAPI {
		a.cors = restCORS(p)
		if m := p.obj("Models"); m != nil {
			a.models = m.m
			for k := range m.m {
				m.get(k)
			}
		}
	} else {
		a.cors = httpAPICORS(p)
	}
	if auth := p.obj("Auth"); auth != nil {
		a.defaultAuth = auth.str("DefaultAuthorizer")
		if r.Type == typeRestAPI {
			if k := auth.boolean("ApiKeyRequired"); k != nil {
				a.apiKey = *k
			}
		}
		auth.refuse("EnableIamAuthorizer", "IAM authorization of routes is not supported: use a JWT or Lambda authorizer")
		auth.refuse("ResourcePolicy", "resource policies are not supported")
		auth.note("usage plans are managed with `updraft route key create --rate --burst --quota-per-day`", "UsagePlan")
		auth.note("has no effect here", "AddDefaultAuthorizerToCorsPreflight", "AddApiKeyRequiredToCorsPreflight", "InvokeRole")
		if list := auth.obj("Authorizers"); list != nil {
			for name := range list.m {
				if z := list.obj(name); z != nil {
					a.authorizers[name] = authorizer(z)
				}
			}
			_ = list.done()
		}
		_ = auth.done()
		if d := a.defaultAuth; d != "" && d != "NONE" && a.authorizers[d] == nil {
			auth.fail("DefaultAuthorizer", "%s is not one of the API's Authorizers", d)
		}
	}
	r.API = &APISpec{Protocol: a.protocol, Stage: a.stage, URL: t.in.RoutesURL}
	t.apis[r.LogicalID] = a
}

// authorizer reads one entry of Auth.Authorizers: a JWT (JwtConfiguration)
// or a Lambda authorizer (FunctionArn).
func authorizer(z *props) *routeAuth {
	ra := &routeAuth{}
	if j := z.obj("JwtConfiguration"); j != nil {
		ra.auth = "jwt"
		ra.jwt = &httpJWT{Issuer: j.str("issuer"), Audience: j.strings("audience")}
		if ra.jwt.Issuer == "" {
			j.fail("issuer", "is required: the token issuer (its keys are found at ISSUER/.well-known/openid-configuration)")
		}
		_ = j.done()
		if src := z.str("IdentitySource"); src != "" && src != "$request.header.Authorization" {
			z.fail("IdentitySource", "JWT authorizers read the token from $request.header.Authorization only")
		}
	}
	if f := z.str("FunctionArn"); f != "" {
		ra.auth = "function:" + functionName(f)
		if id := z.obj("Identity"); id != nil {
			for _, h := range append(id.strings("Headers"), id.strings("Header")...) {
				ra.identity = append(ra.identity, "$request.header."+h)
			}
			for _, q := range id.strings("QueryStrings") {
				ra.identity = append(ra.identity, "$request.querystring."+q)
			}
			ra.ttl = id.integer("ReauthorizeEvery")
			id.refuse("StageVariables", "stage variables are not supported")
			id.refuse("Context", "context identity sources are not supported")
			_ = id.done()
		}
		if v := z.str("AuthorizerPayloadFormatVersion"); v != "" && v != "2.0" {
			z.fail("AuthorizerPayloadFormatVersion", "Lambda authorizers get payload format 2.0 here")
		}
		z.boolean("EnableSimpleResponses")
		z.addNote("the authorizer function gets API Gateway's payload 2.0 REQUEST event and must answer a simple response {\"isAuthorized\": true|false, \"context\": {…}}")
		z.note("has no effect here", "FunctionInvokeRole", "EnableFunctionDefaultPermissions", "FunctionPayloadType")
	}
	z.refuse("UserPoolArn", "Cognito user pool authorizers are not supported: use a JwtConfiguration with the pool's issuer URL")
	z.refuse("AuthorizationScopes", "authorization scopes are not checked here")
	if ra.auth == "" && z.st.err == nil {
		z.fail("", "an authorizer needs JwtConfiguration or FunctionArn")
	}
	_ = z.done()
	return ra
}

// httpAPICORS reads an HttpApi's CorsConfiguration (true: any origin).
func httpAPICORS(p *props) *httpCORS {
	if b, ok := p.m["CorsConfiguration"].(bool); ok {
		p.get("CorsConfiguration")
		if b {
			return &httpCORS{Origins: []string{"*"}, Methods: []string{"*"}, Headers: []string{"*"}}
		}
		return nil
	}
	c := p.obj("CorsConfiguration")
	if c == nil {
		return nil
	}
	out := &httpCORS{Origins: c.strings("AllowOrigins"), Methods: c.strings("AllowMethods"), Headers: c.strings("AllowHeaders"),
		ExposeHeaders: c.strings("ExposeHeaders"), MaxAge: c.intOr("MaxAge", 0)}
	if b := c.boolean("AllowCredentials"); b != nil {
		out.Credentials = *b
	}
	if len(out.Origins) == 0 {
		c.fail("AllowOrigins", "is required: at least one origin")
	}
	_ = c.done()
	return out
}

// restCORS reads an Api's Cors: a quoted origin ("'*'") or {AllowOrigin,
// AllowMethods, AllowHeaders, MaxAge, AllowCredentials}, values quoted
// and comma-separated as API Gateway's header values.
func restCORS(p *props) *httpCORS {
	if s, ok := p.m["Cors"].(string); ok {
		p.get("Cors")
		return &httpCORS{Origins: quotedList(s)}
	}
	c := p.obj("Cors")
	if c == nil {
		return nil
	}
	out := &httpCORS{Origins: quotedList(c.str("AllowOrigin")), Methods: quotedList(c.str("AllowMethods")),
		Headers: quotedList(c.str("AllowHeaders"))}
	if age := strings.Trim(c.str("MaxAge"), "'"); age != "" {
		c.m["MaxAge"] = age
		out.MaxAge = c.intOr("MaxAge", 0)
	}
	if b := c.boolean("AllowCredentials"); b != nil {
		out.Credentials = *b
	}
	if len(out.Origins) == 0 {
		c.fail("AllowOrigin", "is required: the allowed origin, quoted ('*' or 'https://app.example')")
	}
	_ = c.done()
	return out
}

// quotedList splits API Gateway's "'GET,POST'" into [GET POST].
func quotedList(s string) []string {
	s = strings.Trim(strings.TrimSpace(s), "'")
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// apiFor is the API an Api/HttpApi event names (its id value, the Ref of
// an API of the template) or the implicit one, made on first use.
func (t *translator) apiFor(ev *props, key, typ string) *apiDef {
	val := ev.str(key)
	if val == "" {
		implicit := implicitHTTPAPI
		if typ == typeRestAPI {
			implicit = implicitRestAPI
		}
		if a := t.apis[implicit]; a != nil {
			return a
		}
		raw := &Raw{LogicalID: implicit, Type: typ}
		r := t.newResource(raw, KindAPI)
		ip := newProps(implicit, typ, nil)
		t.api(ip, r)
		r.Notes = append(r.Notes, ip.st.notes...)
		t.add(r)
		return t.apis[implicit]
	}
	id := t.idOf(typ, val)
	if id == "" || t.apis[id] == nil {
		ev.fail(key, "%s is not an %s of this template (give !Ref of one)", val, typ)
		return nil
	}
	return t.apis[id]
}

// httpEvent turns an Api or HttpApi event into an http trigger of fnRes.
func (t *translator) httpEvent(ev *props, fnRes *Resource, eventName, typ string) {
	apiKey := "ApiId"
	if typ == typeRestAPI {
		apiKey = "RestApiId"
	}
	api := t.apiFor(ev, apiKey, typ)
	if api == nil {
		return
	}
	fnRes.DependsOn = append(fnRes.DependsOn, api.id)
	path, method := ev.str("Path"), strings.ToUpper(ev.str("Method"))
	tr := httpTrigger{Type: "http", Qualifier: fnRes.Function.Alias, CORS: api.cors}
	switch {
	case path == "" && method == "" && typ == typeHTTPAPI:
		tr.Route = "$default"
	case path == "" || method == "":
		ev.fail("Path", "an %s event needs Path and Method", strings.TrimPrefix(typ, "AWS::Serverless::"))
		return
	default:
		if method == "ANY" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
			method = "ANY"
		}
		tr.Route = method + " " + path
	}
	authName := api.defaultAuth
	apiKeyRequired := api.apiKey
	if a := ev.obj("Auth"); a != nil {
		if n := a.str("Authorizer"); n != "" {
			authName = n
		}
		if typ == typeRestAPI {
			if k := a.boolean("ApiKeyRequired"); k != nil {
				apiKeyRequired = *k
			}
		}
		a.refuse("AuthorizationScopes", "authorization scopes are not checked here")
		a.refuse("ResourcePolicy", "resource policies are not supported")
		a.note("has no effect here", "InvokeRole")
		if authName != "" && authName != "NONE" && api.authorizers[authName] == nil {
			a.fail("Authorizer", "%s is not one of the API's Authorizers", authName)
		}
		_ = a.done()
	}
	if z := api.authorizers[authName]; z != nil && authName != "NONE" {
		tr.Auth, tr.JWT, tr.IdentitySource, tr.TTL = z.auth, z.jwt, z.identity, z.ttl
	}
	if apiKeyRequired {
		if tr.Auth != "" {
			ev.fail("Auth", "a route takes one authorizer here: an API key or %s, not both", tr.Auth)
		}
		tr.Auth = "apikey"
	}
	if api.stage != "$default" {
		tr.Stage = api.stage
	}
	if typ == typeRestAPI {
		tr.PayloadFormatVersion = "1.0" // REST APIs' Lambda proxy event
		t.requestModel(ev, api, &tr)
	} else {
		tr.PayloadFormatVersion = payloadFormat(ev)
	}
	ev.note("API Gateway settings with no effect on Updraft's routes", "TimeoutInMillis", "RouteSettings", "Stage")
	where := fnRes.LogicalID + "." + eventName
	if prev, ok := t.routes[tr.Route]; ok {
		ev.fail("Path", "the route %s is also declared by %s: a tenant's APIs share one routes listener, so each route key is declared once", tr.Route, prev)
		return
	}
	t.routes[tr.Route] = where
	spec, err := json.Marshal(tr)
	if err != nil {
		ev.fail("", "cannot be encoded: %v", err)
		return
	}
	fnRes.Function.Triggers = append(fnRes.Function.Triggers, fn.Trigger{Kind: "http", Spec: spec})
}

// payloadFormat reads an HttpApi event's PayloadFormatVersion: "1.0" or
// "2.0" (the default; an unquoted YAML 1.0 or 2.0 reads as a number).
func payloadFormat(ev *props) string {
	switch v := ev.str("PayloadFormatVersion"); v {
	case "", "2", "2.0":
		return "2.0"
	case "1", "1.0":
		return "1.0"
	default:
		ev.fail("PayloadFormatVersion", "%q is not 1.0 or 2.0", v)
		return ""
	}
}

// requestModel reads an Api event's RequestModel (a model of the API as
// the route's schema when ValidateBody) and RequestParameters.
func (t *translator) requestModel(ev *props, api *apiDef, tr *httpTrigger) {
	if m := ev.obj("RequestModel"); m != nil {
		name := m.str("Model")
		model, ok := api.models[name]
		if !ok {
			m.fail("Model", "%s is not one of the API's Models", name)
		}
		m.boolean("Required")
		m.note("path, query and header parameters are checked through RequestParameters", "ValidateParameters")
		if v := m.boolean("ValidateBody"); v != nil && *v {
			tr.Schema, _ = json.Marshal(model)
		} else {
			m.addNote("ValidateBody is not true, so the body is not checked against %s (as on API Gateway)", name)
		}
		_ = m.done()
	}
	for i, e := range ev.list("RequestParameters") {
		var name string
		required := false
		switch x := e.(type) {
		case string:
			name = x
		case map[string]any:
			item := ev.item("RequestParameters", i, e)
			for k := range x {
				name = k
				if o := item.obj(k); o != nil {
					if b := o.boolean("Required"); b != nil {
						required = *b
					}
					o.note("has no effect here", "Caching")
					_ = o.done()
				}
			}
		}
		q, isQuery := strings.CutPrefix(name, "method.request.querystring.")
		h, isHeader := strings.CutPrefix(name, "method.request.header.")
		switch {
		case isQuery && required:
			tr.RequiredQuery = append(tr.RequiredQuery, q)
		case isHeader && required:
			tr.RequiredHeaders = append(tr.RequiredHeaders, h)
		case !isQuery && !isHeader && !strings.HasPrefix(name, "method.request.path."):
			ev.fail("RequestParameters", "%q is not method.request.querystring.NAME, method.request.header.NAME or method.request.path.NAME", name)
		}
	}
}
