// Package shim exposes the Terraform random provider's internal plugin
// framework provider. It lives under the provider's module path so that the
// internal package may be imported; it is a local module of its own.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	randomprovider "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns a new instance of the Terraform random provider.
func NewProvider() provider.Provider {
	return randomprovider.New()
}
