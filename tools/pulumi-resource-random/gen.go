//go:build genschema

// With -tags genschema this package prints the Pulumi package schema for the
// provider to stdout instead of serving it.
package main

import (
	"context"
	"fmt"
	"os"

	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
)

func main() {
	res, err := pftfgen.GenerateSchema(context.Background(), pftfgen.GenerateSchemaOptions{
		ProviderInfo:  providerInfo(),
		XInMemoryDocs: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(res.ProviderMetadata.PackageSchema); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
