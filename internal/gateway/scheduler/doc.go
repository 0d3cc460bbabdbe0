// Package scheduler is the thin adapter of EventBridge Scheduler's REST-JSON
// API (SigV4 service "scheduler") on the one endpoint: CreateSchedule,
// GetSchedule, ListSchedules, UpdateSchedule and DeleteSchedule over
// internal/schedule, for the one group "default" and function targets.
package scheduler
