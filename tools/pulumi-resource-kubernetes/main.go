// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider.
//
// The upstream main package embeds schema files that are generated at release time and are not
// part of the published module, so this wrapper embeds copies generated at build time from the
// module's schema.json and terraform-mapping.json (see scripts/engine-bootstrap.sh).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
