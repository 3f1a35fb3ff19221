"""The kratix policy pack: the seed's Kratix anti-patterns and adoption criteria."""

from policies.kratix import (
                             adoption_fit,
                             pipeline_containers,
                             pipeline_image_semver,
                             promise_api_options,
                             promise_version_label,
                             state_store_versioned,
                             without_crossplane,
)

POLICIES = [state_store_versioned.POLICY, pipeline_image_semver.POLICY,
            promise_api_options.POLICY, promise_version_label.POLICY,
            pipeline_containers.POLICY, adoption_fit.POLICY, without_crossplane.POLICY]
