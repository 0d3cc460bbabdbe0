package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLambdaJSONLogFormat: LoggingConfig.LogFormat JSON on
// UpdateFunctionConfiguration makes a call's log lines Lambda's JSON
// records: platform.start, the function's line as an application record,
// platform.runtimeDone and platform.report with the metrics.
func TestLambdaJSONLogFormat(t *testing.T) {
	url, key, _ := server(t)
	src := "def handler(event, context):\n    print('hello json')\n    return 1\n"
	if r := call(t, "POST", url+"/v1/functions", key, deployBody(t,
		map[string]any{"name": "js", "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": src}))); r.status != 201 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	cfg := url + "/2015-03-31/functions/js/configuration"
	wantError(t, call(t, "PUT", cfg, key, []byte(`{"LoggingConfig":{"LogFormat":"XML"}}`)), 400, "InvalidParameterValueException", "LogFormat")
	up := call(t, "PUT", cfg, key, []byte(`{"LoggingConfig":{"LogFormat":"JSON"}}`))
	if up.status != 200 || !strings.Contains(string(up.body), `"LoggingConfig":{"LogFormat":"JSON","LogGroup":"/aws/lambda/js"}`) {
		t.Fatalf("update: %d %s", up.status, up.body)
	}
	if r := call(t, "POST", url+"/2015-03-31/functions/js/invocations", key, []byte(`{}`)); r.status != 200 {
		t.Fatalf("invoke: %d %s", r.status, r.body)
	}
	lg := call(t, "GET", url+"/v1/functions/js/logs", key, nil)
	var types []string
	var app map[string]any
	var report struct {
		Record struct {
			RequestID string `json:"requestId"`
			Status    string `json:"status"`
			Metrics   map[string]float64
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(lg.body))
	for sc.Scan() {
		var e struct{ Message string }
		_ = json.Unmarshal(sc.Bytes(), &e)
		var rec map[string]any
		if err := json.Unmarshal([]byte(e.Message), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", e.Message)
		}
		typ, _ := rec["type"].(string)
		if typ == "" {
			typ = "app"
			app = rec
		}
		if typ == "platform.report" {
			_ = json.Unmarshal([]byte(e.Message), &report)
		}
		types = append(types, typ)
	}
	if got := strings.Join(types, " "); got != "platform.start app platform.runtimeDone platform.report" {
		t.Fatalf("records %q:\n%s", got, lg.body)
	}
	if app["message"] != "hello json" || app["level"] != "INFO" || app["requestId"] == "" || app["timestamp"] == "" {
		t.Errorf("application record %v", app)
	}
	m := report.Record.Metrics
	if report.Record.Status != "success" || report.Record.RequestID == "" || m["memorySizeMB"] != 128 || m["billedDurationMs"] < 1 || m["initDurationMs"] <= 0 {
		t.Errorf("report %+v", report.Record)
	}
}
