package stack

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

func TestDiffPlansCreateUpdateReplaceDeleteKeep(t *testing.T) {
	q := func(id, name, vis string) Resource {
		return Resource{LogicalID: id, Type: "AWS::SQS::Queue", Kind: KindQueue, Name: name, Queue: &QueueSpec{Attributes: map[string]string{"VisibilityTimeout": vis}}}
	}
	f := func(id string) Resource {
		return Resource{LogicalID: id, Type: "AWS::Serverless::Function", Kind: KindFunction, Name: "s-" + id, Function: &FunctionSpec{CodeURI: "src", Runtime: "python3.12"}}
	}
	prev := &Stack{Resources: []Record{
		{Resource: q("Keep", "s-Keep", "30")}, {Resource: q("Change", "s-Change", "30")}, {Resource: q("Rename", "old", "30")},
		{Resource: q("Gone", "s-Gone", "30")}, {Resource: f("Fn"), CodeSHA256: "aaa"}, {Resource: f("Same"), CodeSHA256: "bbb"},
	}}
	want := []Resource{q("Keep", "s-Keep", "30"), q("Change", "s-Change", "60"), q("Rename", "new", "30"), q("New", "s-New", "30"), f("Fn"), f("Same")}
	want[0].Notes = []string{"notes do not make a change"}
	steps := diff(prev, want, map[string]string{"Fn": "ccc", "Same": "bbb"})
	got := map[string]string{}
	var order []string
	for _, s := range steps {
		got[s.LogicalID] = s.Action
		order = append(order, s.LogicalID)
	}
	wantActions := map[string]string{"Keep": ActionKeep, "Change": ActionUpdate, "Rename": ActionReplace, "New": ActionCreate, "Gone": ActionDelete, "Fn": ActionUpdate, "Same": ActionKeep}
	for id, a := range wantActions {
		if got[id] != a {
			t.Errorf("%s: %s, want %s (plan %v)", id, got[id], a, steps)
		}
	}
	if order[len(order)-1] != "Gone" {
		t.Errorf("deletes come last: %v", order)
	}
	// Queues before functions.
	if strings.Join(order[:4], ",") != "Change,Keep,New,Rename" {
		t.Errorf("order %v", order)
	}
}

func TestOrderedPutsDependenciesFirst(t *testing.T) {
	rs := []Resource{
		{LogicalID: "A", Kind: KindFunction, DependsOn: []string{"Hook"}},
		{LogicalID: "Hook", Kind: KindFunction, DependsOn: []string{"Z"}},
		{LogicalID: "Z", Kind: KindFunction},
		{LogicalID: "Q", Kind: KindQueue},
		{LogicalID: "M", Kind: KindMapping, DependsOn: []string{"A", "Q"}},
		{LogicalID: "C1", Kind: KindFunction, DependsOn: []string{"C2"}},
		{LogicalID: "C2", Kind: KindFunction, DependsOn: []string{"C1"}}, // a cycle must not hang
	}
	var ids []string
	for _, r := range ordered(rs) {
		ids = append(ids, r.LogicalID)
	}
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	if !(pos["Q"] < pos["Z"] && pos["Z"] < pos["Hook"] && pos["Hook"] < pos["A"] && pos["A"] < pos["M"]) {
		t.Errorf("order %v", ids)
	}
}

func TestFunctionZipReplacesManifestAndIsStable(t *testing.T) {
	var src bytes.Buffer
	zw := zip.NewWriter(&src)
	for _, name := range []string{"b.py", deploy.ManifestFile, "a.py"} {
		w, _ := zw.Create(name)
		io.WriteString(w, "content of "+name+"\ntriggers: [{type: queue, queue: x}]\n")
	}
	zw.Close()
	r := &Resource{LogicalID: "Fn", Name: "app-Fn", Function: &FunctionSpec{CodeURI: "src", Runtime: "python3.12", Handler: "a.handler", MemoryMB: 256,
		Permissions: fn.Permissions{}, Triggers: []fn.Trigger{{Kind: "http", Spec: json.RawMessage(`{"route":"GET /hello"}`)}}}}
	one, err := functionZip(src.Bytes(), r)
	if err != nil {
		t.Fatal(err)
	}
	two, _ := functionZip(src.Bytes(), r)
	if !bytes.Equal(one, two) {
		t.Fatal("the same code and spec gave different zips")
	}
	zr, _ := zip.NewReader(bytes.NewReader(one), int64(len(one)))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "a.py,b.py,"+deploy.ManifestFile {
		t.Fatalf("entries %v", names)
	}
	rc, _ := zr.File[2].Open()
	text, _ := io.ReadAll(rc)
	m, err := deploy.ParseManifest(text)
	if err != nil {
		t.Fatalf("generated manifest %s: %v", text, err)
	}
	if m.Name != "app-Fn" || m.Memory != 256 || m.Handler != "a.handler" || len(m.Triggers) != 1 || m.Triggers[0].Kind != "http" {
		t.Errorf("manifest %+v from\n%s", m, text)
	}
	if m.Permissions == nil || len(m.Permissions) != 0 {
		t.Errorf("an empty permissions list must stay empty (nothing allowed), got %#v\n%s", m.Permissions, text)
	}
}
