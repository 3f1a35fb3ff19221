// Package codegen is a local stand-in for the YAML program generator that the
// Terraform bridge links for converting documentation examples. The real
// module is not available to this build; the provider never calls it at run
// time, and schema generation only loses YAML example snippets.
package codegen

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
)

// GenerateProgram always reports that YAML example generation is unavailable.
func GenerateProgram(*pcl.Program) (map[string][]byte, hcl.Diagnostics, error) {
	return nil, nil, errors.New("YAML example generation is not available in this build")
}
