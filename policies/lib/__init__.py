"""Shared helpers for the policy packs: reading Kubernetes props safely, images, Promises,
ArgoCD Applications and policy metadata (labels come from components.naming)."""
