"""Shared helpers for the policy packs: reading Kubernetes props safely, images, metadata."""
