package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// TargetPrefix is the X-Amz-Target prefix of DynamoDB's operations.
const TargetPrefix = "DynamoDB_20120810"

// API serves DynamoDB's operations for the tenant the gateway authenticated.
type API struct {
	s   *tables.Store
	log *slog.Logger
}

// New returns the DynamoDB API over s.
func New(s *tables.Store, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{s: s, log: log.With("component", "dynamodb")}
}

// call is one request.
type call struct {
	ctx    context.Context
	r      *http.Request
	tenant string
	in     []byte
}

// decode unmarshals the input into v; a shape error is SerializationException.
func (c *call) decode(v any) error {
	if len(c.in) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.in, v); err != nil {
		return fn.Errorf(http.StatusBadRequest, "SerializationException", "The request body could not be read: %v", err)
	}
	return nil
}

// authorize checks the caller may do action on tenant's table.
func (c *call) authorize(action, table string) error {
	return wire.Authorize(c.r, "dynamodb:"+action, tables.TableARN(c.tenant, table))
}

type action func(a *API, c *call) (any, error)

var actions = map[string]action{
	"CreateTable":        (*API).createTable,
	"DescribeTable":      (*API).describeTable,
	"ListTables":         (*API).listTables,
	"DeleteTable":        (*API).deleteTable,
	"UpdateTable":        (*API).updateTable,
	"UpdateTimeToLive":   (*API).updateTTL,
	"DescribeTimeToLive": (*API).describeTTL,
	"PutItem":            (*API).putItem,
	"GetItem":            (*API).getItem,
	"DeleteItem":         (*API).deleteItem,
	"UpdateItem":         (*API).updateItem,
	"Query":              (*API).query,
	"Scan":               (*API).scan,
	"BatchGetItem":       (*API).batchGet,
	"BatchWriteItem":     (*API).batchWrite,
	"TransactWriteItems": (*API).transactWrite,
	"TransactGetItems":   (*API).transactGet,
}

// maxBody bounds a request: 25 items of 400 KB, escaped.
const maxBody = 16 << 20

// Serve is the gateway's handler for DynamoDB requests (wire.TenantHandler).
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	if wire.RequestID(w) == "" {
		wire.SetRequestID(w)
	}
	name := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix+".")
	act, ok := actions[name]
	if !ok {
		a.writeError(w, fn.Errorf(http.StatusBadRequest, "UnknownOperationException", "The operation %q is not served: Updraft's DynamoDB serves %s.", name, strings.Join(actionNames(), ", ")))
		return
	}
	in, err := wire.ReadLimited(http.MaxBytesReader(w, r.Body, maxBody), nil, maxBody)
	if err != nil {
		a.writeError(w, tables.Validation("The request is larger than %d bytes or could not be read: %v", maxBody, err))
		return
	}
	out, err := act(a, &call{ctx: r.Context(), r: r, tenant: tenant, in: in})
	if err != nil {
		a.writeError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		a.writeError(w, fn.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client went away: nothing to do
}

func actionNames() []string {
	out := make([]string, 0, len(actions))
	for n := range actions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

const typePrefix = "com.amazonaws.dynamodb.v20120810#"

// writeError replies with err in DynamoDB's shape.
func (a *API) writeError(w http.ResponseWriter, err error) {
	e := fn.AsError(err)
	typ := e.Type
	switch typ {
	case fn.TypeInvalidParameterValue:
		typ = tables.TypeValidation
	case fn.TypeService:
		typ = tables.TypeInternalServer
	}
	if e.Status >= 500 {
		a.log.Error("dynamodb request failed", "type", typ, "err", err, "request_id", wire.RequestID(w))
	}
	body := map[string]any{"__type": typePrefix + typ, "message": e.Message}
	var cf *tables.CheckFailed
	if errors.As(err, &cf) && cf.Item != nil {
		body["Item"] = cf.Item
	}
	var cx *tables.Canceled
	if errors.As(err, &cx) {
		reasons := make([]map[string]any, len(cx.Reasons))
		for i, r := range cx.Reasons {
			m := map[string]any{"Code": r.Code}
			if r.Message != "" {
				m["Message"] = r.Message
			}
			if r.Item != nil {
				m["Item"] = r.Item
			}
			reasons[i] = m
		}
		body["CancellationReasons"] = reasons
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// validItem checks an item's values (numbers, sets, empty values).
func validItem(it attr.Item) error {
	if it == nil {
		return tables.Validation("One or more parameter values were invalid: Missing the item")
	}
	return it.Validate()
}
