"""The kratix policy pack: the seed's Kratix anti-patterns, checked on resources."""

from policies.kratix import pipeline_image_semver, state_store_versioned

POLICIES = [state_store_versioned.POLICY, pipeline_image_semver.POLICY]
