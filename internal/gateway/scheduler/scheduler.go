package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/schedule"
)

// Schedules is the domain the API serves (schedule.Service).
type Schedules interface {
	Create(ctx context.Context, tenant string, sc schedule.Schedule) (schedule.Schedule, error)
	Get(ctx context.Context, tenant, name string) (schedule.Schedule, error)
	List(ctx context.Context, tenant string) ([]schedule.Schedule, error)
	Update(ctx context.Context, tenant, name string, sc schedule.Schedule) (schedule.Schedule, error)
	Delete(ctx context.Context, tenant, name string) error
}

var _ Schedules = (*schedule.Service)(nil)

// API serves EventBridge Scheduler's schedule operations.
type API struct {
	s   Schedules
	log *slog.Logger
}

// New returns the API over s.
func New(s Schedules, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{s: s, log: log.With("component", "scheduler-api")}
}

// Serve answers one authenticated request of tenant.
func (a *API) Serve(w http.ResponseWriter, r *http.Request, tenant string) {
	out, err := a.route(w, r, tenant)
	if err != nil {
		a.error(w, err)
		return
	}
	wire.JSON(w, http.StatusOK, out)
}

func (a *API) route(w http.ResponseWriter, r *http.Request, tenant string) (any, error) {
	ctx := r.Context()
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "/schedules" && r.Method == http.MethodGet {
		return a.list(ctx, r, tenant)
	}
	name, ok := strings.CutPrefix(path, "/schedules/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return nil, fn.Errorf(http.StatusNotFound, fn.TypeUnknownOperation,
			"%s %s is not an operation Updraft's EventBridge Scheduler offers: CreateSchedule, GetSchedule, ListSchedules, UpdateSchedule, DeleteSchedule", r.Method, r.URL.Path)
	}
	arn := schedule.ARN(tenant, name)
	if g := r.URL.Query().Get("groupName"); g != "" && g != schedule.Group {
		return nil, groupNotFound(g)
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		action := map[string]string{http.MethodPost: "CreateSchedule", http.MethodPut: "UpdateSchedule"}[r.Method]
		if err := wire.Authorize(r, "scheduler:"+action, arn); err != nil {
			return nil, err
		}
		var in scheduleInput
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 2<<20))
		if err := dec.Decode(&in); err != nil {
			return nil, fn.Validation("the request body is not the %s JSON: %v", action, err)
		}
		sc, err := in.toSchedule(tenant, name)
		if err != nil {
			return nil, err
		}
		if r.Method == http.MethodPost {
			sc, err = a.s.Create(ctx, tenant, sc)
		} else {
			sc, err = a.update(ctx, tenant, name, sc)
		}
		if err != nil {
			return nil, err
		}
		return map[string]string{"ScheduleArn": sc.ARN}, nil
	case http.MethodGet:
		if err := wire.Authorize(r, "scheduler:GetSchedule", arn); err != nil {
			return nil, err
		}
		sc, err := a.s.Get(ctx, tenant, name)
		if err != nil {
			return nil, err
		}
		return toGetOutput(tenant, &sc), nil
	case http.MethodDelete:
		if err := wire.Authorize(r, "scheduler:DeleteSchedule", arn); err != nil {
			return nil, err
		}
		return struct{}{}, a.s.Delete(ctx, tenant, name)
	}
	return nil, fn.Errorf(http.StatusMethodNotAllowed, fn.TypeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
}

// update replaces a schedule, keeping what the AWS shape cannot say
// (its catch-up policy).
func (a *API) update(ctx context.Context, tenant, name string, sc schedule.Schedule) (schedule.Schedule, error) {
	old, err := a.s.Get(ctx, tenant, name)
	if err != nil {
		return schedule.Schedule{}, err
	}
	sc.CatchUp = old.CatchUp
	return a.s.Update(ctx, tenant, name, sc)
}

func (a *API) list(ctx context.Context, r *http.Request, tenant string) (any, error) {
	if err := wire.Authorize(r, "scheduler:ListSchedules", "arn:aws:scheduler:"+fn.Region+":"+fn.AccountID(tenant)+":schedule/"+schedule.Group+"/*"); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if g := q.Get("ScheduleGroup"); g != "" && g != schedule.Group {
		return nil, groupNotFound(g)
	}
	limit := 100
	if v := q.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, fn.Validation("MaxResults is 1 to 100, not %q", v)
		}
		limit = n
	}
	list, err := a.s.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	prefix, after, state := q.Get("NamePrefix"), q.Get("NextToken"), q.Get("State")
	out := struct {
		NextToken string    `json:"NextToken,omitempty"`
		Schedules []summary `json:"Schedules"`
	}{Schedules: []summary{}}
	for i := range list {
		sc := &list[i]
		if !strings.HasPrefix(sc.Name, prefix) || (after != "" && sc.Name <= after) || (state != "" && sc.State != state) {
			continue
		}
		if len(out.Schedules) == limit {
			out.NextToken = out.Schedules[limit-1].Name
			break
		}
		s := summary{Arn: sc.ARN, CreationDate: epoch{sc.Created}, GroupName: schedule.Group,
			LastModificationDate: epoch{sc.LastModified}, Name: sc.Name, State: sc.State}
		s.Target.Arn = functionARN(tenant, sc)
		out.Schedules = append(out.Schedules, s)
	}
	return out, nil
}

// error answers with EventBridge Scheduler's error codes.
func (a *API) error(w http.ResponseWriter, err error) {
	var fe *fn.Error
	if errors.As(err, &fe) {
		switch fe.Type {
		case fn.TypeResourceConflict:
			c := *fe
			c.Type = "ConflictException"
			err = &c
		case fn.TypeInvalidParameterValue, fn.TypeInvalidRequestContent:
			c := *fe
			c.Type = fn.TypeValidation
			err = &c
		}
	}
	wire.Error(w, a.log, err)
}
