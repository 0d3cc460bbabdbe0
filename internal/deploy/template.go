package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// TemplateBundle is what `updraft deploy --template` sends: a SAM
// template's text and the zip of every CodeUri directory it names.
type TemplateBundle struct {
	Path string            // the template read (sam build's output when it is newer)
	Dir  string            // its directory, where CodeUri paths start
	Text []byte            // the template
	Code map[string][]byte // CodeUri as written → the directory's zip
	// Built reports that sam build's .aws-sam/build/template.yaml was
	// used instead of the template named.
	Built bool
	// Compiled lists the CodeUri directories of BuildMethod go1.x
	// functions that were compiled into a bootstrap, as sam build does.
	Compiled []string
}

// PackageTemplate reads a SAM template and zips the directories its
// CodeUri properties name (relative to the template). When `sam build`
// left .aws-sam/build/template.yaml next to it, newer than the template,
// that one is deployed, as `sam deploy` does.
func PackageTemplate(path string) (*TemplateBundle, error) {
	b := &TemplateBundle{Path: path}
	if built := filepath.Join(filepath.Dir(path), ".aws-sam", "build", "template.yaml"); newer(built, path) {
		b.Path, b.Built = built, true
	}
	text, err := os.ReadFile(b.Path)
	if err != nil {
		return nil, fmt.Errorf("read the template: %w", err)
	}
	b.Text, b.Dir = text, filepath.Dir(b.Path)
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML or JSON: %w", b.Path, err)
	}
	uris := map[string]bool{}
	codeURIs(&doc, uris)
	goURIs := map[string]bool{}
	if !b.Built {
		goFunctions(&doc, goURIs)
	}
	b.Code = map[string][]byte{}
	keys := make([]string, 0, len(uris))
	for u := range uris {
		keys = append(keys, u)
	}
	sort.Strings(keys)
	for _, u := range keys {
		dir := filepath.Join(b.Dir, filepath.FromSlash(u))
		if strings.HasPrefix(u, "s3://") {
			return nil, fmt.Errorf("CodeUri %s is an S3 location: point it at the function's directory (or run sam build)", u)
		}
		var z []byte
		if goURIs[u] && hasGoSource(dir) {
			z, err = buildGo(dir)
			b.Compiled = append(b.Compiled, u)
		} else {
			z, err = PackageDir(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("CodeUri %s: %w", u, err)
		}
		b.Code[u] = z
	}
	return b, nil
}

// codeURIs collects the string values of every CodeUri key (resources'
// and Globals').
func codeURIs(n *yaml.Node, out map[string]bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			// A CodeUri made by an intrinsic (!Ref …) is left to the
			// server, which resolves and refuses it naming the property.
			if k.Value == "CodeUri" && v.Kind == yaml.ScalarNode && (v.Tag == "!!str" || v.Tag == "") {
				out[v.Value] = true
				continue
			}
			codeURIs(v, out)
		}
		return
	}
	for _, c := range n.Content {
		codeURIs(c, out)
	}
}

// goFunctions collects the CodeUri of every function whose Metadata says
// BuildMethod: go1.x (sam build compiles those: so does a deploy).
func goFunctions(doc *yaml.Node, out map[string]bool) {
	if len(doc.Content) == 0 {
		return
	}
	resources := child(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		res := resources.Content[i+1]
		m := child(child(res, "Metadata"), "BuildMethod")
		code := child(child(res, "Properties"), "CodeUri")
		if m != nil && m.Value == "go1.x" && code != nil && code.Kind == yaml.ScalarNode {
			out[code.Value] = true
		}
	}
}

// hasGoSource reports .go files in dir (sam build's output holds only the
// bootstrap it compiled).
func hasGoSource(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

// child is the value of key in mapping n (nil when n is not one or lacks it).
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// buildGo compiles the Go main package in dir into a bootstrap for this
// host (functions run here, not on Lambda's machines) and zips it alone.
func buildGo(dir string) ([]byte, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("the function is Go source (Metadata BuildMethod: go1.x) and no go command is on PATH: install Go or run sam build first")
	}
	out, err := os.MkdirTemp("", "updraft-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(out, "bootstrap"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, msg)
	}
	return PackageDir(out)
}

func newer(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err != nil || !ai.ModTime().Before(bi.ModTime())
}
