"""IDP-as-code: read this stack's config, compose the platform, export what operators need."""

from pathlib import Path

import pulumi

from components.config import load_stack_config_or_exit
from components.topology import compose

config = load_stack_config_or_exit()
topology = compose(config, pulumi.get_stack(), Path.cwd())
for key, value in topology.outputs().items():
    pulumi.export(key, value)
