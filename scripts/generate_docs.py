"""Regenerate the docs that are derived from the code, so they never drift from it.

    python scripts/generate_docs.py          # rewrite them
    python scripts/generate_docs.py --check  # exit 1, naming the stale files, when they differ

- docs/config-reference.md: every key of the config model (components/config.py) with its type,
  default, description and the format its value is checked against;
- the "`<chart>` sets:" lines of docs/layers/*.md: the top-level Helm values each layer gives its
  charts (what `idp:charts.<key>.values` lays over), read from the shipped stacks under mocks.

tests/test_docs.py runs the check.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the tests' harness lives in the repository
    sys.path.insert(0, str(REPO))

from components import charts  # noqa: E402
from components.config import reference_page  # noqa: E402

REFERENCE = REPO / "docs" / "config-reference.md"
LAYER_PAGES = REPO / "docs" / "layers"
CHART_LINE = re.compile(r"^- `(?P<key>[a-z0-9-]+)` sets: .*$", re.M)
# The shipped stacks, and prod with the other secret manager: between them every chart.
STACK_VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("dev", {}), ("prod", {}), ("prod", {"secrets": "external-secrets"}))


def chart_value_keys() -> dict[str, list[str]]:
    """Chart key -> the top-level values keys the layers set, over the shipped stacks."""
    from tests.harness import run_program, stack_file_config

    by_chart = {source.chart: key for key, source in charts.CHARTS.items()}
    found: dict[str, set[str]] = {key: set() for key in charts.CHARTS}
    for stack, gitops in STACK_VARIANTS:
        config = copy.deepcopy(stack_file_config(stack))
        config["gitops"].update(gitops)
        for chart in run_program(config, stack).of_type("kubernetes:helm.sh/v4:Chart"):
            found[by_chart[chart.inputs["chart"]]].update(chart.inputs.get("values") or {})
    return {key: sorted(keys) for key, keys in found.items()}


def chart_line(key: str, keys: list[str]) -> str:
    return f"- `{key}` sets: " + (", ".join(f"`{k}`" for k in keys) or "nothing (chart defaults)")


def generated() -> dict[Path, str]:
    """Every generated file with the text it should hold."""
    pages = {REFERENCE: reference_page()}
    keys = chart_value_keys()
    for page in sorted(LAYER_PAGES.glob("*.md")):
        text = page.read_text()
        pages[page] = CHART_LINE.sub(lambda m: chart_line(m["key"], keys[m["key"]]), text)
    return pages


def main(argv: list[str]) -> int:
    stale = [path for path, text in generated().items()
             if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(REPO)} is stale: run python scripts/generate_docs.py")
        return 1 if stale else 0
    for path, text in generated().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
