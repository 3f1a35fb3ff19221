"""scripts/review on the engine's own `pulumi preview --json`, both forms, both stacks, with the
policy packs: the headline counts are the engine's, every layer of the stack has its row, the
size fits one GitHub comment, and no secret value reaches the Markdown. Then a one-line change
(a team's quota size, a rotated secret) after an `up`: the summary names exactly that.

Written against the `workspace` fixture's interface only (pulumi(), policy_args(), stack, root,
env), whatever charts and clusters the workspace brings."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import yaml

from review import COMMENT_LIMIT, load, marker, render
from review.markdown import VERBS
from review.policies import remediations
from review.preview import Preview
from tests.harness import REPO

pytestmark = pytest.mark.engine

STREAMING = "PULUMI_ENABLE_STREAMING_JSON_PREVIEW"
# The layers each shipped stack composes (topology.compose): rows of the summary table.
LAYERS = {
    "dev": ["Kratix", "State stores", "Destinations", "GitOps", "Security", "Observability",
            "Promises", "FinOps", "Portal", "Stack and providers"],
    "prod": ["Kratix", "State stores", "Destinations", "GitOps", "Security", "Observability",
             "Promises", "FinOps", "Portal", "Cloud", "Stack and providers"],
}


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


def preview_json(workspace, stream: bool) -> str:
    with streaming(workspace, stream):
        result = workspace.pulumi("preview", "--diff", "--json", *workspace.policy_args(),
                                  check=False)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def summarise(workspace, text: str) -> tuple[Preview, str]:
    preview = load(text)
    return preview, render(preview, stack=workspace.stack,
                           remediation=remediations(workspace.root / "policies"))


def secret_values(workspace) -> list[str]:
    secrets = yaml.safe_load((REPO / "tests" / "fixtures" / "stack-secrets.yaml").read_text())
    values = [str(v) for v in (secrets.get(workspace.stack) or {}).values()]
    values.append(workspace.env.get("PULUMI_CONFIG_PASSPHRASE", ""))
    return [v for v in values if len(v) >= 6]


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
    summaries = {}
    for stream in (True, False):
        text = preview_json(workspace, stream)
        preview, markdown = summarise(workspace, text)
        assert preview.form == ("events" if stream else "summary")
        assert not preview.failed, markdown
        assert_headline_is_the_engines(preview, markdown)
        assert markdown.startswith(marker(workspace.stack) + "\n")
        assert len(markdown) <= COMMENT_LIMIT
        for layer in LAYERS[workspace.stack]:
            assert f"| **{layer}** |" in markdown, f"{layer} missing:\n{markdown[:3000]}"
            assert f"<details><summary><b>{layer}</b>" in markdown
        # Every provider is one of the stack's clusters: each is a column of the table.
        clusters = [c["name"] for c in yaml.safe_load(
            (workspace.root / f"Pulumi.{workspace.stack}.yaml").read_text()
        )["config"]["idp:clusters"]]
        header = next(line for line in markdown.splitlines() if line.startswith("| layer |"))
        assert re.findall(r"`([^`]+)`", header) == clusters
        for value in secret_values(workspace):
            assert value not in markdown and value not in text
        # Uncut, for comparing the forms: a cut depends on how long the policy section is.
        summaries[stream] = render(preview, stack=workspace.stack, limit=sys.maxsize)
        # Whatever a cut drops, the headline, risks, policy line and table stay whole.
        assert markdown.split("<details>")[0] == summaries[stream].split("<details>")[0]
    # The stream carries the policy findings; nothing mandatory in a shipped stack.
    assert "mandatory violation" not in summaries[True]
    assert "**Policy:**" in summaries[True] and "not in this form" not in summaries[True]
    assert "not in this form" in summaries[False]
    # Both forms agree on every table row and every layer's listing.
    rows = [[line for line in s.splitlines() if line.startswith(("| ", "<details><summary><b>"))]
            for s in (summaries[True], summaries[False])]
    assert rows[0] == rows[1]


@contextmanager
def stack_config_restored(workspace) -> Iterator[None]:
    """Config changes made inside last for the block only."""
    stack_file = workspace.root / f"Pulumi.{workspace.stack}.yaml"
    before = stack_file.read_text()
    try:
        yield
    finally:
        stack_file.write_text(before)


def test_a_one_line_change_after_up_is_what_the_summary_shows(workspace):
    workspace.pulumi("up", "--yes", "--skip-preview", *workspace.policy_args())
    teams = yaml.safe_load((workspace.root / f"Pulumi.{workspace.stack}.yaml").read_text()
                           )["config"]["idp:teams"]
    team = teams[0]
    rotated = "rotated-oidc-secret-0123456789"
    with stack_config_restored(workspace):
        workspace.pulumi("config", "set", "--path", "idp:teams[0].size",
                         "large" if team.get("size") != "large" else "small")
        workspace.pulumi("config", "set", "--secret", "--path",
                         "portalCredentials.oidc.clientSecret", rotated)
        text = preview_json(workspace, stream=True)
        preview, markdown = summarise(workspace, text)
    assert_headline_is_the_engines(preview, markdown)
    counts = preview.counts()
    assert counts.get("update") and not counts.get("create") and not counts.get("delete"), counts
    updated = [c for c in preview.changes if c.op == "update"]
    quotas = [c for c in updated if c.type == "kubernetes:core/v1:ResourceQuota"]
    assert quotas and all(c.object_name == "team-quota" for c in quotas)
    assert all(c.namespace and c.namespace.startswith(team["name"]) for c in quotas)
    assert "**Security**" in markdown and "ResourceQuota `" in markdown
    assert re.search(r"`spec\.hard\[\"requests\.cpu\"\]`: `\d+` → `\d+`", markdown), \
        markdown[:4000]
    assert "[secret]" in markdown
    assert rotated not in markdown and rotated not in text
    for value in secret_values(workspace):
        assert value not in markdown


def test_a_mandatory_violation_fails_with_its_resource_and_remediation(workspace):
    with stack_config_restored(workspace):
        workspace.pulumi("config", "set", "--path", "idp:kratix.image",
                         "docker.io/syntasso/kratix-platform:latest")
        with streaming(workspace, True):
            result = workspace.pulumi("preview", "--diff", "--json", *workspace.policy_args(),
                                      check=False)
    assert result.returncode != 0
    preview, markdown = summarise(workspace, result.stdout)
    assert preview.failed and any(f.level == "mandatory" for f in preview.findings)
    assert "### ❌ failed: Pulumi preview of" in markdown.splitlines()[1]
    assert "mandatory violation(s): this check fails" in markdown
    policies = markdown.split("#### Policy findings")[1]
    assert policies.index("**Mandatory**") < policies.find("**Advisory**") or \
        "**Advisory**" not in policies
    assert "**`platform-image-pinned`** (idp-platform, high" in policies
    assert "*Remediation:* Set an explicit version tag (or a digest) on the image." in policies
    assert re.search(r"  - Deployment `kratix-platform-system/kratix-platform-controller-manager`"
                     r" on `platform`: .*kratix-platform:latest uses the tag latest", policies), \
        policies[:3000]
