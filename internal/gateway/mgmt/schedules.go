package mgmt

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/schedule"
)

// Schedules is what /v1/schedules serves (schedule.Service).
type Schedules interface {
	Create(ctx context.Context, tenant string, sc schedule.Schedule) (schedule.Schedule, error)
	Get(ctx context.Context, tenant, name string) (schedule.Schedule, error)
	List(ctx context.Context, tenant string) ([]schedule.Schedule, error)
	Update(ctx context.Context, tenant, name string, sc schedule.Schedule) (schedule.Schedule, error)
	SetState(ctx context.Context, tenant, name, state string) (schedule.Schedule, error)
	Delete(ctx context.Context, tenant, name string) error
}

var _ Schedules = (*schedule.Service)(nil)

// registerSchedules adds /v1/schedules when schedules are served.
func (g *API) registerSchedules(mux wire.Mux, auth wire.Auth) {
	if g.cfg.Schedules == nil {
		return
	}
	mux.HandleFunc("POST /v1/schedules", auth(g.createSchedule))
	mux.HandleFunc("GET /v1/schedules", auth(g.listSchedules))
	mux.HandleFunc("GET /v1/schedules/{schedule}", auth(g.getSchedule))
	mux.HandleFunc("PUT /v1/schedules/{schedule}", auth(g.putSchedule))
	mux.HandleFunc("DELETE /v1/schedules/{schedule}", auth(g.deleteSchedule))
	mux.HandleFunc("POST /v1/schedules/{schedule}/pause", auth(g.setScheduleState(schedule.StateDisabled)))
	mux.HandleFunc("POST /v1/schedules/{schedule}/resume", auth(g.setScheduleState(schedule.StateEnabled)))
}

// decodeSchedule reads a schedule from the body; the function may be
// FUNCTION:QUALIFIER.
func decodeSchedule(w http.ResponseWriter, r *http.Request) (schedule.Schedule, error) {
	var sc schedule.Schedule
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 2<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return sc, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			`could not parse the schedule as JSON {"name":N,"expression":E,"function":F,"input":{...},"timezone":TZ,"start":T,"end":T,"flexible_window":MIN,"catch_up":"one","state":"ENABLED"}: %v`, err)
	}
	if sc.Qualifier == "" {
		sc.Function, sc.Qualifier = wire.FunctionName(sc.Function)
	}
	sc.Owner, sc.ARN = "", ""
	return sc, nil
}

func (g *API) createSchedule(w http.ResponseWriter, r *http.Request, tenant string) {
	sc, err := decodeSchedule(w, r)
	if err == nil {
		sc, err = g.cfg.Schedules.Create(r.Context(), tenant, sc)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusCreated, sc)
}

func (g *API) listSchedules(w http.ResponseWriter, r *http.Request, tenant string) {
	list, err := g.cfg.Schedules.List(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"schedules": list})
}

func (g *API) getSchedule(w http.ResponseWriter, r *http.Request, tenant string) {
	sc, err := g.cfg.Schedules.Get(r.Context(), tenant, r.PathValue("schedule"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, sc)
}

func (g *API) putSchedule(w http.ResponseWriter, r *http.Request, tenant string) {
	sc, err := decodeSchedule(w, r)
	if err == nil && sc.Name != "" && sc.Name != r.PathValue("schedule") {
		err = fn.Validation("the body names schedule %s, the path %s: a schedule is not renamed", sc.Name, r.PathValue("schedule"))
	}
	if err == nil {
		sc, err = g.cfg.Schedules.Update(r.Context(), tenant, r.PathValue("schedule"), sc)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, sc)
}

func (g *API) deleteSchedule(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.cfg.Schedules.Delete(r.Context(), tenant, r.PathValue("schedule")); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *API) setScheduleState(state string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, tenant string) {
		sc, err := g.cfg.Schedules.SetState(r.Context(), tenant, r.PathValue("schedule"), state)
		if err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		wire.JSON(w, http.StatusOK, sc)
	}
}
