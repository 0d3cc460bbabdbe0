package deploy

import (
	"fmt"
	"os"
	"path/filepath"
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
		z, err := PackageDir(dir)
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

func newer(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err != nil || !ai.ModTime().Before(bi.ModTime())
}
