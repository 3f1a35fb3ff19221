"""The GitHub workflows a platform team copies (.github/workflows/): actionlint finds nothing,
and the properties that make them safe to adopt hold: pinned actions, least privilege per job,
one run per stack at a time, prod behind its environment, every step a documented script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.harness import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((REPO / ".github" / "actions").glob("*/action.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
SECRETS = {"PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "KUBECONFIG_DEV", "KUBECONFIG_PROD"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(path: Path) -> list[dict]:
    data = load(path)
    if "runs" in data:
        return data["runs"]["steps"]
    return [step for job in data["jobs"].values() for step in job["steps"]]


@pytest.fixture(scope="module")
def actionlint() -> str:
    result = subprocess.run(["bash", str(REPO / "scripts" / "actionlint-bootstrap.sh")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"actionlint unavailable:\n{result.stderr[-2000:]}"
    return result.stdout.strip().splitlines()[-1]


def test_the_three_workflows_exist():
    assert [p.name for p in WORKFLOWS] == ["pulumi-deploy.yml", "pulumi-drift.yml",
                                           "pulumi-preview.yml"]


def test_actionlint_finds_nothing(actionlint):
    result = subprocess.run([actionlint, "-no-color", *map(str, WORKFLOWS)], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version():
    for path in [*WORKFLOWS, *ACTIONS]:
        lines = path.read_text().splitlines()
        for line in lines:
            match = re.match(r"^\s*-?\s*uses:\s*(\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert PINNED.match(match.group(1)), f"{path.name}: {line.strip()}"
            assert re.search(r"# v\d+\.\d+\.\d+", match.group(2)), f"{path.name}: {line.strip()}"


def test_least_privilege_per_job_and_one_run_per_stack_at_a_time():
    for path in WORKFLOWS:
        data = load(path)
        assert data["permissions"] == {}, f"{path.name}: the workflow grants nothing by default"
        for name, job in data["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} declares its permissions"
            assert set(job["permissions"]) <= {"contents", "pull-requests", "issues"}
            assert job["permissions"].get("contents") == "read"
            group = job["concurrency"]["group"]
            assert "matrix.stack" in group or name in group, f"{path.name}:{name}: {group}"


def test_permissions_are_those_each_job_needs():
    jobs = {path.stem: load(path)["jobs"] for path in WORKFLOWS}
    assert jobs["pulumi-preview"]["preview"]["permissions"] == {"contents": "read",
                                                                "pull-requests": "write"}
    assert jobs["pulumi-drift"]["drift"]["permissions"] == {"contents": "read",
                                                            "issues": "write"}
    for job in jobs["pulumi-deploy"].values():
        assert job["permissions"] == {"contents": "read"}


def test_prod_is_promoted_after_dev_behind_its_environment():
    data = load(REPO / ".github" / "workflows" / "pulumi-deploy.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    dev, prod = data["jobs"]["dev"], data["jobs"]["prod"]
    assert prod["needs"] == "dev" and prod["environment"] == "prod"
    assert dev["concurrency"] == {"group": "idp-deploy-dev", "cancel-in-progress": False}
    assert prod["concurrency"] == {"group": "idp-deploy-prod", "cancel-in-progress": False}
    assert [s["run"] for s in dev["steps"] if "run" in s][-1] == "scripts/ci up dev"
    assert [s["run"] for s in prod["steps"] if "run" in s][-1] == "scripts/ci up prod"


def test_previews_and_drift_checks_cover_both_stacks():
    for name, trigger in (("pulumi-preview", "pull_request"), ("pulumi-drift", "schedule")):
        data = load(REPO / ".github" / "workflows" / f"{name}.yml")
        assert trigger in data["on"]
        (job,) = data["jobs"].values()
        assert [m["stack"] for m in job["strategy"]["matrix"]["include"]] == ["dev", "prod"]


def test_secrets_come_only_from_the_repository_secrets():
    for path in WORKFLOWS:
        text = path.read_text()
        named = set(re.findall(r"secrets\.(\w+)", text))
        named |= {m["kubeconfig"] for job in load(path)["jobs"].values()
                  for m in job.get("strategy", {}).get("matrix", {}).get("include", [])}
        assert named <= SECRETS, f"{path.name}: {named - SECRETS}"
        assert "secrets[" not in text or "secrets[matrix.kubeconfig]" in text


def test_every_step_runs_a_script_the_readme_documents():
    readme = (REPO / "README.md").read_text() + (REPO / "docs" / "review-and-delivery.md"
                                                 ).read_text()
    for path in [*WORKFLOWS, *ACTIONS]:
        for step in steps(path):
            if "run" not in step:
                continue
            command = step["run"].strip()
            assert re.match(r"^(bash )?scripts/[\w.-]+", command), f"{path.name}: {command}"
            script = re.match(r"^(?:bash )?(scripts/[\w.-]+)", command).group(1)
            assert (REPO / script).exists(), script
            assert script in readme, f"{script} is not documented"


# --- the sticky comment and the drift issue, against a stand-in for `gh api` ------------------

FAKE_GH = r'''#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
state = Path(os.environ["FAKE_GH_STATE"])
items = json.loads(state.read_text()) if state.exists() else {"comments": [], "issues": []}
args = sys.argv[2:]
method = args[args.index("-X") + 1] if "-X" in args else "GET"
path = next(a for a in args if a.startswith("repos/"))
body = json.loads(sys.stdin.read()) if "--input" in args else {}
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(f"{method} {path}\n")
kind = "comments" if "/comments" in path and "issues/comments" not in path else "issues"
if "issues/comments/" in path:
    kind = "comments"
if method == "GET":
    for item in items[kind if "/comments" in path else "issues"]:
        if item.get("state", "open") == "open":
            print(json.dumps(item))
elif method == "POST":
    collection = "comments" if path.endswith("/comments") else "issues"
    item = {"id": len(items[collection]) + 100, "number": len(items[collection]) + 1, **body}
    items[collection].append(item)
    print(json.dumps(item))
else:
    key = int(path.rsplit("/", 1)[1])
    for item in items[kind]:
        if key in (item.get("id"), item.get("number")):
            item.update(body)
state.write_text(json.dumps(items))
'''


@pytest.fixture
def fake_gh(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("FAKE_GH_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/idp")
    return tmp_path


def _ci():
    sys.path.insert(0, str(REPO / "scripts"))
    import ci  # scripts/ci.py
    return ci


def test_the_pr_comment_is_added_once_then_edited(fake_gh):
    ci = _ci()
    summary = fake_gh / "review-dev.md"
    summary.write_text("<!-- idp-review: stack=dev -->\n### first\n")
    assert ci.main(["comment", "dev", str(summary), "--pr", "7"]) == 0
    summary.write_text("<!-- idp-review: stack=dev -->\n### second\n")
    assert ci.main(["comment", "dev", str(summary), "--pr", "7"]) == 0
    prod = fake_gh / "review-prod.md"
    prod.write_text("### prod, marker added\n")
    assert ci.main(["comment", "prod", str(prod), "--pr", "7"]) == 0
    state = json.loads((fake_gh / "state.json").read_text())
    bodies = [c["body"] for c in state["comments"]]
    assert bodies == ["<!-- idp-review: stack=dev -->\n### second\n",
                      "<!-- idp-review: stack=prod -->\n### prod, marker added\n"]
    calls = (fake_gh / "calls.log").read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["GET", "POST", "GET", "PATCH", "GET", "POST"]


def test_drift_opens_one_issue_updates_it_and_closes_it_when_clean(fake_gh):
    ci = _ci()
    ci.drift_issue("prod", "<!-- idp-review: stack=prod -->\nnight 1\n")
    ci.drift_issue("prod", "<!-- idp-review: stack=prod -->\nnight 2\n")
    state = json.loads((fake_gh / "state.json").read_text())
    assert len(state["issues"]) == 1 and state["issues"][0]["body"].endswith("night 2\n")
    assert state["issues"][0]["title"] == "Drift: stack prod differs from main"
    ci.drift_issue("prod", None)
    state = json.loads((fake_gh / "state.json").read_text())
    assert state["issues"][0]["state"] == "closed"
    assert state["comments"][0]["body"].startswith("No drift any more")
