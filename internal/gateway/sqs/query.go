package sqs

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The query protocol sends an action's input as form fields: scalars by
// name, lists as NAME.N, maps as NAME.N.Name / NAME.N.Value (Key/Value for
// tags), nested with dots. readQuery rebuilds the JSON protocol's shape of
// the same input, so each action decodes one shape.

// queryLists are the flattened lists: form name → JSON member.
var queryLists = map[string]string{
	"AttributeName":                            "AttributeNames",
	"MessageSystemAttributeName":               "MessageSystemAttributeNames",
	"MessageAttributeName":                     "MessageAttributeNames",
	"TagKey":                                   "TagKeys",
	"SendMessageBatchRequestEntry":             "Entries",
	"DeleteMessageBatchRequestEntry":           "Entries",
	"ChangeMessageVisibilityBatchRequestEntry": "Entries",
}

// queryMaps are the flattened maps: form name → JSON member, key and
// value fields.
var queryMaps = map[string][3]string{
	"Attribute":              {"Attributes", "Name", "Value"},
	"MessageAttribute":       {"MessageAttributes", "Name", "Value"},
	"MessageSystemAttribute": {"MessageSystemAttributes", "Name", "Value"},
	"Tag":                    {"Tags", "Key", "Value"},
}

// queryInts are the integer members.
var queryInts = []string{"DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "MaxResults"}

// queryIgnored are the query protocol's own fields (signature version 2,
// API version), not part of an action's input.
var queryIgnored = []string{"Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires", "SecurityToken"}

func readQuery(r *http.Request) (action string, in []byte, err error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return "", nil, invalidParameter("The request is not a valid form-encoded query request: %v", err)
	}
	action = r.Form.Get("Action")
	if action == "" {
		return "", nil, missingParameter("Action (the query protocol's action name, e.g. Action=ListQueues)")
	}
	tree := node{}
	for k, vs := range r.Form {
		if slices.Contains(queryIgnored, k) || len(vs) == 0 {
			continue
		}
		tree.put(strings.Split(k, "."), vs[0])
	}
	v, err := tree.value()
	if err != nil {
		return "", nil, err
	}
	if m, ok := v.(map[string]any); ok && action == "CreateQueue" {
		if tags, ok := m["Tags"]; ok { // CreateQueue's member is "tags"
			m["tags"] = tags
			delete(m, "Tags")
		}
	}
	in, err = json.Marshal(v)
	return action, in, err
}

// node is the form's fields as a tree of their dotted names.
type node map[string]any // string or node

func (n node) put(path []string, v string) {
	if len(path) == 1 {
		n[path[0]] = v
		return
	}
	child, ok := n[path[0]].(node)
	if !ok {
		child = node{}
		n[path[0]] = child
	}
	child.put(path[1:], v)
}

// value is the JSON value of the subtree.
func (n node) value() (any, error) {
	out := map[string]any{}
	for k, child := range n {
		sub, isNode := child.(node)
		switch {
		case isNode && queryLists[k] != "":
			items, err := sub.indexed(k)
			if err != nil {
				return nil, err
			}
			list := make([]any, 0, len(items))
			for _, it := range items {
				v, err := scalarOrValue(it)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			out[queryLists[k]] = list
		case isNode && queryMaps[k] != [3]string{}:
			spec := queryMaps[k]
			items, err := sub.indexed(k)
			if err != nil {
				return nil, err
			}
			m := map[string]any{}
			for _, it := range items {
				entry, ok := it.(node)
				if !ok {
					return nil, invalidParameter("%s.N needs %s.N.%s and %s.N.%s.", k, k, spec[1], k, spec[2])
				}
				key, _ := entry[spec[1]].(string)
				if key == "" {
					return nil, invalidParameter("Each %s.N needs a non-empty %s.N.%s.", k, k, spec[1])
				}
				v, err := scalarOrValue(entry[spec[2]])
				if err != nil {
					return nil, err
				}
				m[key] = v
			}
			out[spec[0]] = m
		case isNode:
			v, err := sub.value()
			if err != nil {
				return nil, err
			}
			out[k] = v
		case slices.Contains(queryInts, k):
			i, err := strconv.Atoi(child.(string))
			if err != nil {
				return nil, invalidParameter("Value %q for parameter %s is invalid. Reason: it must be an integer.", child, k)
			}
			out[k] = i
		default:
			out[k] = child
		}
	}
	return out, nil
}

func scalarOrValue(v any) (any, error) {
	if n, ok := v.(node); ok {
		return n.value()
	}
	if v == nil {
		return "", nil
	}
	return v, nil
}

// indexed returns the children NAME.1, NAME.2, … in order.
func (n node) indexed(name string) ([]any, error) {
	idx := make([]int, 0, len(n))
	for k := range n {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			return nil, invalidParameter("%s.%s is not a valid parameter: list members are numbered from 1 (%s.1, %s.2, …).", name, k, name, name)
		}
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]any, len(idx))
	for j, i := range idx {
		out[j] = n[strconv.Itoa(i)]
	}
	return out, nil
}

func sortStrings(s []string) { sort.Strings(s) }
