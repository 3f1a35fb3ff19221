"""The platform policy pack: security and reproducibility guardrails for every workload."""

from policies.platform import container_resources, image_pinned

POLICIES = [image_pinned.POLICY, container_resources.POLICY]
