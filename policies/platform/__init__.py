"""The platform policy pack: security, cost and delivery guardrails for every workload."""

from policies.platform import (
                               argocd_prod_prune,
                               argocd_target_revision,
                               container_resources,
                               cost_labels,
                               image_pinned,
                               kyverno_enforce,
                               no_default_namespace,
                               no_privileged,
                               team_namespace_default_deny,
)

POLICIES = [image_pinned.POLICY, container_resources.POLICY, no_privileged.POLICY,
            no_default_namespace.POLICY, team_namespace_default_deny.POLICY, cost_labels.POLICY,
            argocd_target_revision.POLICY, argocd_prod_prune.POLICY, kyverno_enforce.POLICY]
