package apigen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// emitSamples writes frontend/src/lib/api/testdata/samples.json: for every
// method's result and every event, Go values of the real types encoded by
// encoding/json, as Go sends them. Each list holds non-empty values — as many
// as it takes for every enum field to carry each of its values once — and last
// a zero value (nil lists and maps, "" and 0; enums at their first value, or ""
// where results may carry none). A Vitest spec decodes every one of them with
// the generated decoders, so a decoder that refuses what Go really sends fails.
func emitSamples(m *model) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"comment":` + quoteJSON(header) + `,"results":{`)
	first := true
	for _, s := range m.services {
		for _, meth := range s.methods {
			samples := []json.RawMessage{json.RawMessage("null")}
			if meth.result != nil {
				var err error
				if samples, err = samplesOf(meth.result); err != nil {
					return nil, err
				}
			}
			if err := writeEntry(&buf, &first, s.goName+"."+meth.goName, samples); err != nil {
				return nil, err
			}
		}
	}
	buf.WriteString(`},"events":{`)
	first = true
	for _, e := range m.events {
		samples, err := samplesOf(e.t)
		if err != nil {
			return nil, err
		}
		if err := writeEntry(&buf, &first, e.name, samples); err != nil {
			return nil, err
		}
	}
	buf.WriteString("}}")
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeEntry(buf *bytes.Buffer, first *bool, key string, samples []json.RawMessage) error {
	if !*first {
		buf.WriteByte(',')
	}
	*first = false
	list, err := json.Marshal(samples)
	if err != nil {
		return err
	}
	buf.WriteString(quoteJSON(key) + ":")
	buf.Write(list)
	return nil
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// samplesOf encodes the sample values of t.
func samplesOf(t reflect.Type) ([]json.RawMessage, error) {
	var out []json.RawMessage
	n := max(1, variants(t, map[reflect.Type]bool{}))
	values := make([]reflect.Value, 0, n+1)
	for i := range n {
		values = append(values, sample(t, i, "value"))
	}
	values = append(values, zeroSample(t))
	for _, v := range values {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, fmt.Errorf("encode a sample %s: %w", t, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// variants is how many samples it takes for every enum t reaches to show each
// of its values: the largest enum's size.
func variants(t reflect.Type, seen map[reflect.Type]bool) int {
	if seen[t] {
		return 0
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.String:
		if v, ok := reflect.Zero(t).Interface().(interface{ Values() []string }); ok {
			return len(v.Values())
		}
	case reflect.Slice, reflect.Map, reflect.Pointer:
		return variants(t.Elem(), seen)
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				n = max(n, variants(t.Field(i).Type, seen))
			}
		}
		return n
	}
	return 0
}

// sample is a value of t with every field set: variant i picks the i-th value
// of each enum, and name words strings after the field that holds them.
func sample(t reflect.Type, i int, name string) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(i%2 == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(i + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(i + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(i) + 0.5)
	case reflect.String:
		if e, ok := v.Interface().(interface{ Values() []string }); ok {
			values := e.Values()
			v.SetString(values[i%len(values)])
		} else {
			v.SetString(fmt.Sprintf("%s %d", name, i+1))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 0, 2))
		for j := range 2 {
			v.Set(reflect.Append(v, sample(t.Elem(), i+j, name)))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(reflect.ValueOf(fmt.Sprintf("key %d", i+1)).Convert(t.Key()), sample(t.Elem(), i, name))
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
		v.Elem().Set(sample(t.Elem(), i, name))
	case reflect.Struct:
		for j := range t.NumField() {
			f := t.Field(j)
			if f.IsExported() {
				v.Field(j).Set(sample(f.Type, i, jsonName(f)))
			}
		}
	}
	return v
}

// zeroSample is the zero value of t, except that enums hold their first value
// (or "" where results may carry none): Go never sends an enum outside its
// values, but it does send nil lists, empty strings and zeros.
func zeroSample(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		if e, ok := v.Interface().(interface{ Values() []string }); ok && !allowsEmpty(t) {
			v.SetString(e.Values()[0])
		}
	case reflect.Struct:
		for j := range t.NumField() {
			if t.Field(j).IsExported() {
				v.Field(j).Set(zeroSample(t.Field(j).Type))
			}
		}
	}
	return v
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
