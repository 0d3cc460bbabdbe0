package lambda

import (
	"net/http"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Lambda's FunctionEventInvokeConfig API: asynchronous invocation settings
// per function, version or alias.
func (g *API) eventConfigRoutes(mux wire.Mux, auth wire.Auth) {
	const p = "/2019-09-25/functions/{name}/event-invoke-config"
	mux.HandleFunc("PUT "+p, auth(g.putEventConfig))
	mux.HandleFunc("POST "+p, auth(g.updateEventConfig))
	mux.HandleFunc("GET "+p, auth(g.getEventConfig))
	mux.HandleFunc("DELETE "+p, auth(g.deleteEventConfig))
	mux.HandleFunc("GET "+p+"/list", auth(g.listEventConfigs))
	mux.HandleFunc("GET /v1/functions/{name}/events/failed", auth(g.failedEvents))
}

type destination struct {
	Destination *string `json:"Destination,omitempty"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

// eventConfigRequest is Put's and Update's body; nil fields are not given.
type eventConfigRequest struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig"`
}

// eventConfigReply is Lambda's FunctionEventInvokeConfig.
type eventConfigReply struct {
	LastModified             float64           `json:"LastModified"` // epoch seconds
	FunctionArn              string            `json:"FunctionArn"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        destinationConfig `json:"DestinationConfig"`
}

func eventConfigShape(c *fn.EventInvokeConfig) eventConfigReply {
	out := eventConfigReply{
		LastModified:         float64(c.LastModified.UnixMilli()) / 1000,
		FunctionArn:          fn.ARN(c.Tenant, c.Function, c.Qualifier),
		MaximumRetryAttempts: c.MaxRetryAttempts, MaximumEventAgeInSeconds: c.MaxEventAgeSec,
	}
	if c.OnSuccess != "" {
		out.DestinationConfig.OnSuccess = &destination{Destination: &c.OnSuccess}
	}
	if c.OnFailure != "" {
		out.DestinationConfig.OnFailure = &destination{Destination: &c.OnFailure}
	}
	return out
}

// apply sets the request's given fields on c.
func (req *eventConfigRequest) apply(c *fn.EventInvokeConfig) {
	if req.MaximumRetryAttempts != nil {
		c.MaxRetryAttempts = req.MaximumRetryAttempts
	}
	if req.MaximumEventAgeInSeconds != nil {
		c.MaxEventAgeSec = req.MaximumEventAgeInSeconds
	}
	if d := req.DestinationConfig; d != nil {
		if d.OnSuccess != nil {
			c.OnSuccess = deref(d.OnSuccess.Destination)
		}
		if d.OnFailure != nil {
			c.OnFailure = deref(d.OnFailure.Destination)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// target is the function and qualifier a request names: the path's name
// (a name, a partial or full ARN, possibly qualified) and ?Qualifier=.
func (g *API) target(r *http.Request, tenant string) (name, q string, err error) {
	name, q = wire.FunctionName(r.PathValue("name"))
	if err := wire.CheckName(r.PathValue("name"), name, tenant); err != nil {
		return "", "", err
	}
	if qq := r.URL.Query().Get("Qualifier"); qq != "" {
		if q != "" && q != qq {
			return "", "", fn.InvalidParameter("the qualifier in the function name (%s) and Qualifier (%s) differ", q, qq)
		}
		q = qq
	}
	return name, q, nil
}

func (g *API) putEventConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	g.writeEventConfig(w, r, tenant, false)
}

func (g *API) updateEventConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	g.writeEventConfig(w, r, tenant, true)
}

func (g *API) writeEventConfig(w http.ResponseWriter, r *http.Request, tenant string, update bool) {
	name, q, err := g.target(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	var req eventConfigRequest
	if err := decodeLambda(w, r, 64<<10, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	ec := &fn.EventInvokeConfig{Tenant: tenant, Function: name, Qualifier: q}
	var merge func(*fn.EventInvokeConfig)
	if update {
		merge = req.apply
	} else {
		req.apply(ec)
	}
	out, err := g.ctl.PutEventConfig(r.Context(), ec, merge)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, eventConfigShape(out))
}

func (g *API) getEventConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q, err := g.target(r, tenant)
	if err == nil {
		var ec *fn.EventInvokeConfig
		if ec, err = g.ctl.GetEventConfig(r.Context(), tenant, name, q); err == nil {
			wire.JSON(w, http.StatusOK, eventConfigShape(ec))
			return
		}
	}
	wire.Error(w, g.cfg.Log, err)
}

func (g *API) deleteEventConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q, err := g.target(r, tenant)
	if err == nil {
		if err = g.ctl.DeleteEventConfig(r.Context(), tenant, name, q); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	wire.Error(w, g.cfg.Log, err)
}

func (g *API) listEventConfigs(w http.ResponseWriter, r *http.Request, tenant string) {
	name, _, err := g.target(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	all, err := g.ctl.ListEventConfigs(r.Context(), tenant, name)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	start, max := 0, 50
	if m := r.URL.Query().Get("Marker"); m != "" {
		if start, err = strconv.Atoi(m); err != nil || start < 0 || start > len(all) {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("Marker %q is not one this API returned", m))
			return
		}
	}
	if m := r.URL.Query().Get("MaxItems"); m != "" {
		if max, err = strconv.Atoi(m); err != nil || max < 1 || max > 50 {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("MaxItems must be 1 to 50, got %q", m))
			return
		}
	}
	end := min(start+max, len(all))
	out := struct {
		FunctionEventInvokeConfigs []eventConfigReply `json:"FunctionEventInvokeConfigs"`
		NextMarker                 *string            `json:"NextMarker"`
	}{FunctionEventInvokeConfigs: []eventConfigReply{}}
	for _, c := range all[start:end] {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, eventConfigShape(c))
	}
	if end < len(all) {
		next := strconv.Itoa(end)
		out.NextMarker = &next
	}
	wire.JSON(w, http.StatusOK, out)
}

// failedEvents lists a function's events that failed for good and had no
// destination to go to: GET /v1/functions/{name}/events/failed?max=N.
func (g *API) failedEvents(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	max := 100
	if m := r.URL.Query().Get("max"); m != "" {
		if max, err = strconv.Atoi(m); err != nil || max < 1 || max > 10_000 {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("max must be 1 to 10000, got %q", m))
			return
		}
	}
	if g.async == nil {
		wire.Error(w, g.cfg.Log, fn.Unavailable("asynchronous invocations are not served here"))
		return
	}
	events, err := g.async.FailedEvents(r.Context(), tenant, f.Name, max)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"events": events})
}
