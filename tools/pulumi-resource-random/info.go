package main

import (
	"strings"
	"unicode"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// providerVersion is the version the Python SDK asks for; override with
// -ldflags "-X main.providerVersion=...".
var providerVersion = "4.21.1"

// camel turns "random_uuid4" into "RandomUuid4".
func camel(tfName string) string {
	var b strings.Builder
	for _, part := range strings.Split(tfName, "_") {
		if part == "" {
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// lowerFirst turns "RandomUuid4" into "randomUuid4".
func lowerFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// providerInfo maps every Terraform resource "random_x" to the Pulumi token
// "random:index/randomX:RandomX", the naming the published Python SDK uses.
func providerInfo() tfbridge.ProviderInfo {
	p := pftfbridge.ShimProvider(shim.NewProvider())
	resources := map[string]*tfbridge.ResourceInfo{}
	p.ResourcesMap().Range(func(key string, _ shimv.Resource) bool {
		name := camel(key)
		resources[key] = &tfbridge.ResourceInfo{
			Tok: tokens.Type("random:index/" + lowerFirst(name) + ":" + name),
		}
		return true
	})
	return tfbridge.ProviderInfo{
		P:           p,
		Name:        "random",
		Version:     providerVersion,
		Description: "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:    []string{"pulumi", "random"},
		License:     "Apache-2.0",
		Publisher:   "Pulumi",
		GitHubOrg:   "hashicorp",
		// Bridge metadata normally records renames across releases; a build
		// without that history starts from an empty document.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources:    resources,
	}
}
