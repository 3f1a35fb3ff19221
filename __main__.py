"""IDP-as-code: read this stack's config, compose the platform, export what operators need."""

import os
from pathlib import Path

import pulumi

from components.topology import compose, config_model

# Registered resources come back as URNs and IDs, not resource references: with references the
# Python SDK rebuilds every child of every chart as an object, asking the engine for each one's
# whole state (a `getResource` call each, CRDs of megabytes among them), and nothing here reads
# them. docs/performance.md has what it saves; set it to false to get references back.
os.environ.setdefault("PULUMI_DISABLE_RESOURCE_REFERENCES", "true")

config = config_model().load_or_exit()
topology = compose(config, pulumi.get_stack(), Path.cwd())
for key, value in topology.outputs().items():
    pulumi.export(key, value)
