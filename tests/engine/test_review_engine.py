"""scripts/review on the engine's own `pulumi preview --json`, both forms, both stacks, with the
policy packs, the real charts and local clusters built like the stack's (as the `applied`
fixture does, but previewing only): the headline counts are the engine's, every layer the
program composes has its row, the stack's clusters are the columns, the size fits one GitHub
comment, no secret value reaches the Markdown; a mandatory violation fails with its resource
and remediation."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from review import COMMENT_LIMIT, load, marker, render
from review.markdown import LAYERS, NO_LAYER, VERBS
from review.policies import remediations
from review.preview import Preview
from tests.engine.conftest import fresh_workspace
from tests.harness import REPO, run_program, stack_file_config

pytestmark = pytest.mark.engine

STREAMING = "PULUMI_ENABLE_STREAMING_JSON_PREVIEW"
# dev by default: the review code paths are the same for prod, whose three previews here
# (~1,300 resources each) would add three prod previews to CI; IDP_REVIEW_STACKS="dev prod".
REVIEW_STACKS = os.environ.get("IDP_REVIEW_STACKS", "dev").split()


@pytest.fixture(scope="module", params=REVIEW_STACKS)
def workspace(request, engine_bin, cluster_bin, tmp_path_factory):
    """A throw-away copy of the stack bound to fresh local clusters, nothing applied yet."""
    with fresh_workspace(request.param, tmp_path_factory.mktemp(f"review-{request.param}"),
                         engine_bin, cluster_bin) as (workspace, _clusters):
        yield workspace


@contextmanager
def streaming(workspace, on: bool) -> Iterator[None]:
    before = workspace.env.get(STREAMING)
    if on:
        workspace.env[STREAMING] = "true"
    else:
        workspace.env.pop(STREAMING, None)
    try:
        yield
    finally:
        if before is None:
            workspace.env.pop(STREAMING, None)
        else:
            workspace.env[STREAMING] = before


def preview_json(workspace, stream: bool, check: bool = True):
    with streaming(workspace, stream):
        result = workspace.pulumi("preview", "--diff", "--json", *workspace.policy_args(),
                                  check=False, timeout=1800)
    if check and result.returncode != 0:
        # The review's own account of the failure: its errors and mandatory findings.
        try:
            shown = render(load(result.stdout), stack=workspace.stack)[:6000]
        except Exception as error:  # noqa: BLE001 - show the raw output instead
            shown = f"{error}\n{result.stdout[-3000:]}"
        raise AssertionError(f"preview failed:\n{shown}\n{result.stderr[-2000:]}")
    return result


def summarise(workspace, text: str, limit: int = COMMENT_LIMIT) -> tuple[Preview, str]:
    preview = load(text)
    return preview, render(preview, stack=workspace.stack, limit=limit,
                           remediation=remediations(workspace.root / "policies"))


def secret_values(workspace) -> list[str]:
    secrets = yaml.safe_load((REPO / "tests" / "fixtures" / "stack-secrets.yaml").read_text())
    values = [str(v) for v in (secrets.get(workspace.stack) or {}).values()]
    values.append(workspace.env.get("PULUMI_CONFIG_PASSPHRASE", ""))
    return [v for v in values if len(v) >= 6]


def expected_layers(stack: str) -> set[str]:
    """The rows: one per layer the program composes for the stack (under mocks)."""
    registry = run_program(stack_file_config(stack), stack)
    types = {r.type for r in registry.all if r.type.startswith("idp:platform:")}
    return {LAYERS[t] for t in types} | {NO_LAYER}


def assert_headline_is_the_engines(preview: Preview, markdown: str) -> None:
    engine = preview.engine_counts
    assert engine, "the engine wrote no change summary"
    assert preview.counts() == engine, (preview.counts(), engine)
    headline = markdown.splitlines()[1]
    for op, count in engine.items():
        if op == "same":
            assert not count or f"({count} unchanged)" in headline, headline
        else:
            assert f"{count} {VERBS[op]}" in headline, headline


def test_the_first_preview_summarised_in_both_forms(workspace):
    uncut = {}
    for stream in (True, False):
        text = preview_json(workspace, stream).stdout
        preview, markdown = summarise(workspace, text)
        assert preview.form == ("events" if stream else "summary")
        assert not preview.failed, markdown[:3000]
        assert_headline_is_the_engines(preview, markdown)
        assert markdown.startswith(marker(workspace.stack) + "\n")
        assert len(markdown) <= COMMENT_LIMIT
        for layer in expected_layers(workspace.stack):
            assert f"| **{layer}** |" in markdown, f"{layer} missing:\n{markdown[:3000]}"
            assert f"<details><summary><b>{layer}</b>" in markdown
        # Every kubernetes provider is one of the stack's clusters: each is a column.
        clusters = [c["name"] for c in yaml.safe_load(
            (workspace.root / f"Pulumi.{workspace.stack}.yaml").read_text()
        )["config"]["idp:clusters"]]
        header = next(line for line in markdown.splitlines() if line.startswith("| layer |"))
        assert re.findall(r"`([^`]+)`", header) == clusters
        for value in secret_values(workspace):
            assert value not in markdown and value not in text
        # Uncut, for comparing the forms: a cut depends on how long the policy section is.
        uncut[stream] = render(preview, stack=workspace.stack, limit=sys.maxsize)
        # Whatever a cut drops, the headline, risks, policy line and table stay whole.
        assert markdown.split("<details>")[0] == uncut[stream].split("<details>")[0]
    # The stream carries the policy findings; nothing mandatory in a shipped stack.
    assert "mandatory violation" not in uncut[True]
    assert "not in this form" in uncut[False] and "not in this form" not in uncut[True]
    # Both forms agree on every table row and every layer's listing.
    rows = [[line for line in s.splitlines() if line.startswith(("| ", "<details><summary><b>"))]
            for s in (uncut[True], uncut[False])]
    assert rows[0] == rows[1]


def test_a_mandatory_violation_fails_with_its_resource_and_remediation(workspace, tmp_path):
    # The stack's kratix policy config, with one policy made mandatory and strict enough that
    # every Promise of both stacks violates it (they expose 3 or 4 options).
    args = workspace.policy_args()
    index = next(i for i, a in enumerate(args) if a.endswith(f"kratix/config/{workspace.stack}.json"))
    config = json.loads(Path(args[index]).read_text())
    config["kratix-promise-api-options"] = {"enforcementLevel": "mandatory", "maxOptions": 1}
    strict = tmp_path / "kratix.json"
    strict.write_text(json.dumps(config))
    args[index] = str(strict)
    with streaming(workspace, True):
        result = workspace.pulumi("preview", "--diff", "--json", *args, check=False,
                                  timeout=1800)
    assert result.returncode != 0
    preview, markdown = summarise(workspace, result.stdout)
    assert preview.failed and any(f.level == "mandatory" for f in preview.findings)
    assert "### ❌ failed: Pulumi preview of" in markdown.splitlines()[1]
    assert "mandatory violation(s): this check fails" in markdown
    policies = markdown.split("#### Policy findings")[1]
    assert "**Advisory**" not in policies or (
        policies.index("**Mandatory**") < policies.index("**Advisory**"))
    assert "**`kratix-promise-api-options`** (idp-kratix" in policies
    assert "*Remediation:* Keep the API to the few choices developers really make" in policies
    assert re.search(r"  - Promise `[^`]+` on `platform`: Promise '[^']+' API v1 exposes \d "
                     r"options \(at most 1\)", policies), policies[:3000]
