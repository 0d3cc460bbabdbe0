package sqs

import (
	"encoding/base64"
	"encoding/xml"
	"sort"
)

// The query protocol writes maps as repeated elements of name/value
// pairs; these types do so in key order. As JSON they are plain objects.

// attrMap is a queue's or a message's attributes: <Attribute><Name/><Value/>.
type attrMap map[string]string

func (m attrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range sortedKeys(m) {
		if err := e.EncodeElement(struct {
			Name  string
			Value string
		}{k, m[k]}, start); err != nil {
			return err
		}
	}
	return nil
}

// tagMap is a queue's tags: <Tag><Key/><Value/>.
type tagMap map[string]string

func (m tagMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range sortedKeys(m) {
		if err := e.EncodeElement(struct {
			Key   string
			Value string
		}{k, m[k]}, start); err != nil {
			return err
		}
	}
	return nil
}

// msgAttrMap is a message's attributes:
// <MessageAttribute><Name/><Value><StringValue/>|<BinaryValue/><DataType/>.
type msgAttrMap map[string]msgAttr

func (m msgAttrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type value struct {
		StringValue *string `xml:",omitempty"`
		BinaryValue string  `xml:",omitempty"`
		DataType    string
	}
	for _, k := range sortedKeys(m) {
		a := m[k]
		v := value{StringValue: a.StringValue, DataType: a.DataType}
		if len(a.BinaryValue) > 0 {
			v.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		if err := e.EncodeElement(struct {
			Name  string
			Value value
		}{k, v}, start); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
