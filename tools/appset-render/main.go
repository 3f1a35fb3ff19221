// appset-render renders an ArgoCD ApplicationSet template once per parameter set, the way the
// ApplicationSet controller does with `goTemplate: true`: every string in the template is a Go
// text/template with sprig's functions (less env, expandenv and getHostByName, which ArgoCD
// removes), parsed with the ApplicationSet's goTemplateOptions and executed with one
// generator element's parameters.
//
// Input (stdin, JSON): {"template": {...}, "params": [{...}, ...], "options": ["missingkey=error"]}
// Output (stdout, JSON): the rendered templates, in parameter order. A template error exits 1
// with the error on stderr.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

type input struct {
	Template any              `json:"template"`
	Params   []map[string]any `json:"params"`
	Options  []string         `json:"options"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail(fmt.Errorf("reading input: %w", err))
	}
	funcs := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(funcs, name)
	}
	out := make([]any, 0, len(in.Params))
	for i, params := range in.Params {
		rendered, err := render(in.Template, params, funcs, in.Options)
		if err != nil {
			fail(fmt.Errorf("parameter set %d: %w", i, err))
		}
		out = append(out, rendered)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func render(value any, params map[string]any, funcs template.FuncMap, options []string) (any, error) {
	switch v := value.(type) {
	case string:
		tmpl, err := template.New("").Funcs(funcs).Option(options...).Parse(v)
		if err != nil {
			return nil, fmt.Errorf("parsing %q: %w", v, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, params); err != nil {
			return nil, fmt.Errorf("executing %q: %w", v, err)
		}
		return buf.String(), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		result := make(map[string]any, len(v))
		for _, key := range keys {
			rendered, err := render(v[key], params, funcs, options)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			result[key] = rendered
		}
		return result, nil
	case []any:
		result := make([]any, len(v))
		for i, item := range v {
			rendered, err := render(item, params, funcs, options)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			result[i] = rendered
		}
		return result, nil
	default:
		return value, nil
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "appset-render:", err)
	os.Exit(1)
}
