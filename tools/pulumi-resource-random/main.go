//go:build !genschema

// Command pulumi-resource-random serves the Terraform random provider through
// the Pulumi Terraform bridge. schema-embed.json is generated at build time
// (go run -tags genschema . > schema-embed.json) and is not committed.
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
)

//go:embed schema-embed.json
var packageSchema []byte

func main() {
	pftfbridge.Main(context.Background(), "random", providerInfo(),
		pftfbridge.ProviderMetadata{PackageSchema: packageSchema})
}
