package lambda

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/mapping"
)

// Event source mappings (queue → function): Lambda's
// Create/Get/Update/Delete/ListEventSourceMappings over control.Mappings.

func (g *API) mappingRoutes(mux wire.Mux, auth wire.Auth) {
	if g.cfg.Mappings == nil {
		return
	}
	const p = "/2015-03-31/event-source-mappings"
	mux.HandleFunc("POST "+p, auth(g.lambdaCreateMapping))
	mux.HandleFunc("POST "+p+"/{$}", auth(g.lambdaCreateMapping))
	mux.HandleFunc("GET "+p, auth(g.lambdaListMappings))
	mux.HandleFunc("GET "+p+"/{$}", auth(g.lambdaListMappings))
	mux.HandleFunc("GET "+p+"/{uuid}", auth(g.lambdaGetMapping))
	mux.HandleFunc("PUT "+p+"/{uuid}", auth(g.lambdaUpdateMapping))
	mux.HandleFunc("DELETE "+p+"/{uuid}", auth(g.lambdaDeleteMapping))
}

// mappingRequest is the body of CreateEventSourceMapping and
// UpdateEventSourceMapping (the fields an SQS event source takes).
type mappingRequest struct {
	EventSourceArn                 string    `json:"EventSourceArn"`
	FunctionName                   string    `json:"FunctionName"`
	Enabled                        *bool     `json:"Enabled"`
	BatchSize                      *int      `json:"BatchSize"`
	MaximumBatchingWindowInSeconds *int      `json:"MaximumBatchingWindowInSeconds"`
	FunctionResponseTypes          *[]string `json:"FunctionResponseTypes"`
	ScalingConfig                  *struct {
		MaximumConcurrency *int `json:"MaximumConcurrency"`
	} `json:"ScalingConfig"`
	// Stream sources (DynamoDB table streams) only.
	StartingPosition           string `json:"StartingPosition"`
	MaximumRetryAttempts       *int   `json:"MaximumRetryAttempts"`
	MaximumRecordAgeInSeconds  *int   `json:"MaximumRecordAgeInSeconds"`
	BisectBatchOnFunctionError *bool  `json:"BisectBatchOnFunctionError"`
	DestinationConfig          *struct {
		OnFailure *struct {
			Destination *string `json:"Destination"`
		} `json:"OnFailure"`
	} `json:"DestinationConfig"`
}

// unsupportedMappingFields are Lambda's settings Updraft does not apply;
// a request that sets one is refused rather than half applied.
var unsupportedMappingFields = []string{
	"FilterCriteria", "StartingPositionTimestamp",
	"ParallelizationFactor", "TumblingWindowInSeconds", "Topics", "Queues",
	"SourceAccessConfigurations", "SelfManagedEventSource", "SelfManagedKafkaEventSourceConfig",
	"AmazonManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "KMSKeyArn",
	"MetricsConfig", "ProvisionedPollerConfig", "LoggingConfig", "Tags",
}

func (g *API) decodeMapping(w http.ResponseWriter, r *http.Request, tenant string) (control.MappingSpec, error) {
	var raw map[string]json.RawMessage
	if err := decodeLambda(w, r, 64<<10, &raw); err != nil {
		return control.MappingSpec{}, err
	}
	for _, k := range unsupportedMappingFields {
		if v, ok := raw[k]; ok && !bytes.Equal(v, []byte("null")) {
			return control.MappingSpec{}, fn.InvalidParameter("%s is not supported by Updraft's event source mappings (SQS queues): leave it out", k)
		}
	}
	data, _ := json.Marshal(raw)
	var req mappingRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return control.MappingSpec{}, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not parse the request body as the operation's JSON: %v", err)
	}
	spec := control.MappingSpec{
		EventSourceARN: req.EventSourceArn, Enabled: req.Enabled, BatchSize: req.BatchSize,
		WindowSeconds: req.MaximumBatchingWindowInSeconds, ResponseTypes: req.FunctionResponseTypes,
		StartingPosition: req.StartingPosition, MaxRetries: req.MaximumRetryAttempts,
		MaxRecordAge: req.MaximumRecordAgeInSeconds, Bisect: req.BisectBatchOnFunctionError,
	}
	if dc := req.DestinationConfig; dc != nil {
		dest := ""
		if dc.OnFailure != nil && dc.OnFailure.Destination != nil {
			dest = *dc.OnFailure.Destination
		}
		spec.OnFailure = &dest
	}
	if req.ScalingConfig != nil {
		n := 0
		if req.ScalingConfig.MaximumConcurrency != nil {
			n = *req.ScalingConfig.MaximumConcurrency
		}
		spec.MaxConcurrency = &n
	}
	if req.FunctionName != "" {
		name, qualifier := wire.FunctionName(req.FunctionName)
		if err := wire.CheckName(req.FunctionName, name, tenant); err != nil {
			return control.MappingSpec{}, err
		}
		spec.Function, spec.Qualifier = name, qualifier
	}
	return spec, nil
}

func (g *API) lambdaCreateMapping(w http.ResponseWriter, r *http.Request, tenant string) {
	spec, err := g.decodeMapping(w, r, tenant)
	var v control.MappingView
	if err == nil {
		v, err = g.cfg.Mappings.CreateMapping(r.Context(), tenant, spec)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusAccepted, mappingJSON(v))
}

func (g *API) lambdaGetMapping(w http.ResponseWriter, r *http.Request, tenant string) {
	v, err := g.cfg.Mappings.GetMapping(r.Context(), tenant, r.PathValue("uuid"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, mappingJSON(v))
}

func (g *API) lambdaUpdateMapping(w http.ResponseWriter, r *http.Request, tenant string) {
	spec, err := g.decodeMapping(w, r, tenant)
	if err == nil && spec.EventSourceARN != "" {
		err = fn.InvalidParameter("EventSourceArn cannot be changed: delete the mapping and create one for the other queue")
	}
	var v control.MappingView
	if err == nil {
		v, err = g.cfg.Mappings.UpdateMapping(r.Context(), tenant, r.PathValue("uuid"), spec)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusAccepted, mappingJSON(v))
}

func (g *API) lambdaDeleteMapping(w http.ResponseWriter, r *http.Request, tenant string) {
	v, err := g.cfg.Mappings.DeleteMapping(r.Context(), tenant, r.PathValue("uuid"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusAccepted, mappingJSON(v))
}

// maxListItems is ListEventSourceMappings' largest page (and default 100).
const maxListItems = 10_000

func (g *API) lambdaListMappings(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	var name, qualifier string
	if f := q.Get("FunctionName"); f != "" {
		name, qualifier = wire.FunctionName(f)
		if err := wire.CheckName(f, name, tenant); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	}
	limit := 100
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListItems {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("MaxItems %q must be a number from 1 to %d", s, maxListItems))
			return
		}
		limit = n
	}
	all, err := g.cfg.Mappings.ListMappings(r.Context(), tenant, q.Get("EventSourceArn"), name, qualifier)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	// The marker is the UUID of the first mapping of the next page.
	start := 0
	if m := q.Get("Marker"); m != "" {
		start = slices.IndexFunc(all, func(v control.MappingView) bool { return v.UUID == m })
		if start < 0 {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("Marker %q is not one this API returned (or its mapping was deleted): list again without it", m))
			return
		}
	}
	end := min(start+limit, len(all))
	out := struct {
		EventSourceMappings []map[string]any `json:"EventSourceMappings"`
		NextMarker          string           `json:"NextMarker,omitempty"`
	}{EventSourceMappings: make([]map[string]any, 0, end-start)}
	for _, v := range all[start:end] {
		out.EventSourceMappings = append(out.EventSourceMappings, mappingJSON(v))
	}
	if end < len(all) {
		out.NextMarker = all[end].UUID
	}
	wire.JSON(w, http.StatusOK, out)
}

// mappingJSON is Lambda's EventSourceMappingConfiguration.
func mappingJSON(v control.MappingView) map[string]any {
	types := []string{}
	if v.ReportFailures {
		types = append(types, mapping.ReportBatchItemFailures)
	}
	out := map[string]any{
		"UUID":                           v.UUID,
		"EventSourceArn":                 v.QueueARN(),
		"EventSourceMappingArn":          "arn:aws:lambda:" + fn.Region + ":" + fn.AccountID(v.Tenant) + ":event-source-mapping:" + v.UUID,
		"FunctionArn":                    v.FunctionARN(),
		"BatchSize":                      v.BatchSize,
		"MaximumBatchingWindowInSeconds": v.WindowSeconds,
		"FunctionResponseTypes":          types,
		// A REST-JSON timestamp: epoch seconds, with milliseconds.
		"LastModified":          float64(v.LastModified.UnixMilli()) / 1000,
		"LastProcessingResult":  v.LastResult,
		"State":                 v.State,
		"StateTransitionReason": strings.TrimSpace(v.Reason),
	}
	if v.MaxConcurrency > 0 {
		out["ScalingConfig"] = map[string]int{"MaximumConcurrency": v.MaxConcurrency}
	}
	if s := v.Stream; s != nil {
		out["StartingPosition"] = s.StartingPosition
		out["MaximumRetryAttempts"] = s.MaxRetries
		out["MaximumRecordAgeInSeconds"] = s.MaxAge
		out["BisectBatchOnFunctionError"] = s.Bisect
		dest := map[string]any{}
		if s.OnFailure != "" {
			dest["Destination"] = s.OnFailure
		}
		out["DestinationConfig"] = map[string]any{"OnFailure": dest}
	}
	return out
}
