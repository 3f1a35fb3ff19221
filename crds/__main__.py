"""The CRD stack of the platform stack of the same name (docs/stacks.md): its charts' CRDs."""

import os
import sys
from pathlib import Path

import pulumi

# The platform project is the parent directory; its packages are importable from there.
PLATFORM_DIR = Path.cwd().parent
sys.path.insert(0, str(PLATFORM_DIR))

from components.config import USER_ERROR_SHOWN_EXIT_CODE  # noqa: E402
from components.configschema import ConfigError  # noqa: E402
from components.crd_stack import compose_crds, load_platform_config, plan_charts  # noqa: E402

# As in the platform program: URNs back, not resource references (docs/performance.md).
os.environ.setdefault("PULUMI_DISABLE_RESOURCE_REFERENCES", "true")

stack = pulumi.get_stack()
try:
    config = load_platform_config(PLATFORM_DIR, stack)
    plan = plan_charts(PLATFORM_DIR, stack)
except (ConfigError, FileNotFoundError, RuntimeError) as error:
    pulumi.log.error(f"{error}")
    raise SystemExit(USER_ERROR_SHOWN_EXIT_CODE) from None
for key, value in compose_crds(config, plan, stack).items():
    pulumi.export(key, value)
