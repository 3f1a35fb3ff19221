"""What the shipped GitHub workflows run, one command per job step (`scripts/ci ...`).

    scripts/ci preview STACK          the CRD stack's pulumi preview --diff --json, then the
                                      platform's with both policy packs and the
                                      stack's policy config; writes .review/preview-STACK.jsonl,
                                      .review/preview-STACK.log and the summary
                                      .review/review-STACK.md (also to $GITHUB_STEP_SUMMARY);
                                      exit 1 on a failed preview or a mandatory violation
    scripts/ci drift STACK [--issue]  pulumi preview --refresh --expect-no-changes; exit 3 on drift;
                                      with --issue, opens or updates one issue carrying the
                                      summary (and closes it once the stack is clean again)
    scripts/ci up STACK               the CRD stack's up, then the platform's with both packs
    scripts/ci comment STACK FILE     the sticky PR comment of STACK: edits the comment carrying
                                      the stack's marker, or adds it (needs GH_TOKEN, PR_NUMBER)
    scripts/ci kubeconfig             writes $IDP_KUBECONFIG (a kubeconfig, from a repository
                                      secret) to ~/.kube/config, mode 0600; nothing if empty

The engine comes from scripts/engine-bootstrap.sh and the backend from PULUMI_BACKEND_URL (a
local file backend in .pulumi-local/ without it), as for scripts/preview. `--offline` works on
a throw-away copy bound to local clusters (scripts/local-cluster), to try the steps out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from stacks import CrdsBehind, CrdsMissing, StacksError  # noqa: E402

from review import COMMENT_LIMIT, load, marker, render  # noqa: E402
from review.__main__ import blocking, job_log_url  # noqa: E402
from review.policies import remediations  # noqa: E402
from review.preview import Preview, ReviewError  # noqa: E402

OUT = REPO / ".review"
DRIFT = 3


def _engine_workspace() -> Any:
    spec = importlib.util.spec_from_file_location(
        "engine_workspace", REPO / "scripts" / "engine_workspace.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_workspace"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def workspace(stack: str, offline: bool) -> Any:
    """The project bound to `stack`: the repository itself, applying to the clusters the stack
    names (the backend of PULUMI_BACKEND_URL, the ambient kubeconfig), or, `offline`, a
    throw-away copy bound to local clusters built like the stack's (scripts/local-cluster;
    charts from the chart mirror), as `scripts/preview` does when the clusters do not answer."""
    ew = _engine_workspace()
    engine_bin = ew.bootstrap()
    if offline:
        kubeconfig = ew.local_cluster.Clusters(stack).up()
        print(
            f"ci: local clusters for {stack} ({kubeconfig}; stop them with "
            f"`scripts/local-cluster down {stack}`)",
            file=sys.stderr,
        )
        tmp = Path(tempfile.mkdtemp(prefix="idp-ci-"))
        return ew.offline_workspace(tmp, engine_bin, stack, kubeconfig)
    state = None if os.environ.get("PULUMI_BACKEND_URL") else REPO / ".pulumi-local" / "state"
    ws = ew.Workspace(REPO, stack, ew.engine_env(engine_bin, state, keep_kubeconfig=True))
    ew.install_plugins(engine_bin, ws.env)
    ws.init_stack()
    return ws


def crd_preview(ws: Any, extra: Iterable[str], offline: bool) -> Preview | None:
    """The CRD stack's preview (docs/stacks.md), for the same comment; None when the stack
    keeps its CRDs in the platform stack. On throw-away local clusters the CRD stack is then
    applied, since the platform's preview reads its kinds from the clusters."""
    environment = ws.environment(policies=False, on_output=None)
    if not environment.crds_apart:
        return None
    crds = type(ws)(ws.root / "crds", ws.stack, ws.env)
    crds.init_stack()
    result = crds.pulumi("preview", "--diff", "--json", *extra, check=False)
    (OUT / f"preview-{ws.stack}-crds.jsonl").write_text(result.stdout or "")
    sys.stderr.write(result.stderr or "")
    preview = load(result.stdout or "")
    if preview.failed or environment.renders_only:
        return preview
    try:
        environment.require_current_crds(environment.crd_stack())
    except CrdsMissing:
        if not offline:
            raise
        print("ci: applying the CRD stack to the throw-away local clusters first", file=sys.stderr)
        environment.up(crds_only=True)
    except CrdsBehind as behind:
        print(
            f"ci: note: {behind}; the platform's preview is against the CRDs the clusters hold now",
            file=sys.stderr,
        )
    return preview


def run_preview(
    stack: str, extra: Iterable[str], offline: bool, title: str
) -> tuple[int, Preview | None, Preview | None, str]:
    """Preview both stacks as engine-event streams (the form with policy findings) and
    summarise them in one comment: the CRD stack's CRD changes first, then the platform's."""
    OUT.mkdir(exist_ok=True)
    events, log, summary = (
        OUT / f"preview-{stack}.jsonl",
        OUT / f"preview-{stack}.log",
        OUT / f"review-{stack}.md",
    )
    ws = workspace(stack, offline)
    ws.env["PULUMI_ENABLE_STREAMING_JSON_PREVIEW"] = "true"
    log_url = job_log_url(dict(os.environ))
    preview: Preview | None = None
    crds: Preview | None = None
    code = 0
    try:
        crds = crd_preview(ws, extra, offline)
        result = ws.pulumi("preview", "--diff", "--json", *extra, *ws.policy_args(), check=False)
        events.write_text(result.stdout or "")
        log.write_text(result.stderr or "")
        sys.stderr.write(result.stderr or "")
        code = result.returncode or int(bool(crds and crds.failed))
        preview = load(result.stdout or "")
        fixes = remediations(REPO / "policies")

        def summarise(limit: int) -> str:
            assert preview is not None
            return render(
                preview,
                stack=stack,
                title=title,
                remediation=fixes,
                log_url=log_url,
                log_tail=result.stderr,
                limit=limit,
                crds=crds,
            )

        markdown = summarise(COMMENT_LIMIT)
        full = summarise(sys.maxsize)  # the job log, where a cut comment points, gets it whole
    except (ReviewError, StacksError) as error:
        code = 1
        tail = "\n".join((log.read_text() if log.exists() else "").strip().splitlines()[-12:])
        markdown = full = f"{marker(stack)}\n### ❌ failed: {title} of `{stack}`\n\n{error}" + (
            f"\n\n```text\n{tail[-1500:].replace('```', chr(39) * 3)}\n```\n" if tail else "\n"
        )
    summary.write_text(markdown)
    print(full)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    return code, preview, crds, markdown


def has_changes(*previews: Preview | None) -> bool:
    return any(change.op != "same" for preview in previews if preview for change in preview.changes)


def cmd_preview(options: argparse.Namespace) -> int:
    code, preview, _crds, _ = run_preview(options.stack, [], options.offline, "Pulumi preview")
    if preview is None or code != 0 or blocking(preview):
        return 1
    return 0


def cmd_drift(options: argparse.Namespace) -> int:
    extra = ["--expect-no-changes"] + ([] if options.no_refresh else ["--refresh"])
    code, preview, crds, markdown = run_preview(
        options.stack, extra, options.offline, "Drift check"
    )
    drifted = preview is not None and has_changes(preview, crds)
    if options.issue:
        drift_issue(options.stack, markdown if drifted else None)
    if drifted:
        print(f"ci: drift in stack {options.stack}", file=sys.stderr)
        return DRIFT
    crds_failed = crds is not None and crds.failed
    return 0 if code == 0 and preview is not None and not preview.failed and not crds_failed else 1


def cmd_up(options: argparse.Namespace) -> int:
    """The CRD stack, then the platform stack with both packs (scripts/stacks.py)."""
    ws = workspace(options.stack, options.offline)
    try:
        ws.environment(on_output=print).up()
    except StacksError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_kubeconfig(options: argparse.Namespace) -> int:
    # The default location: the provider finds it with or without KUBECONFIG set.
    content = os.environ.get("IDP_KUBECONFIG", "")
    if not content.strip():
        print("ci: no kubeconfig given (render-mode clusters need none)")
        return 0
    target = Path.home() / ".kube" / "config"
    target.parent.mkdir(mode=0o700, exist_ok=True)
    target.touch(mode=0o600, exist_ok=True)
    target.chmod(0o600)
    target.write_text(content if content.endswith("\n") else content + "\n")
    print(f"ci: wrote {target}")
    return 0


# --- GitHub: the sticky comment and the drift issue, through `gh api` -------------------------


def gh(*args: str, body: dict[str, Any] | None = None) -> str:
    command = ["gh", "api", *args]
    if body is not None:
        command += ["--input", "-"]
    result = subprocess.run(
        command,
        input=json.dumps(body) if body is not None else None,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"ci: gh api {' '.join(args[:3])} failed: {result.stderr.strip()}")
    return result.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON values `gh api --jq` wrote one after another (compact or not)."""
    decoder, values, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        values.append(value)
    return [v for v in values if isinstance(v, dict)]


def marked(items: Iterable[dict[str, Any]], stack: str) -> dict[str, Any] | None:
    """The first comment or issue whose body carries the stack's marker."""
    return next((item for item in items if marker(stack) in (item.get("body") or "")), None)


def repository() -> str:
    repo = os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        raise SystemExit("ci: GITHUB_REPOSITORY is not set (owner/name)")
    return repo


def cmd_comment(options: argparse.Namespace) -> int:
    body = Path(options.file).read_text(encoding="utf-8")
    if marker(options.stack) not in body:
        body = f"{marker(options.stack)}\n{body}"
    pr = options.pr or os.environ.get("PR_NUMBER")
    if not pr:
        raise SystemExit("ci: no pull request number (--pr or PR_NUMBER)")
    repo = repository()
    comments = json_lines(
        gh(
            "--paginate",
            f"repos/{repo}/issues/{pr}/comments",
            "--jq",
            ".[] | {id: .id, body: .body}",
        )
    )
    existing = marked(comments, options.stack)
    if existing:
        gh("-X", "PATCH", f"repos/{repo}/issues/comments/{existing['id']}", body={"body": body})
        print(f"ci: updated comment {existing['id']} on #{pr}")
    else:
        gh("-X", "POST", f"repos/{repo}/issues/{pr}/comments", body={"body": body})
        print(f"ci: commented on #{pr}")
    return 0


def drift_issue(stack: str, markdown: str | None) -> None:
    """Open or update the one drift issue of `stack` (markdown), or close it when clean (None)."""
    repo = repository()
    issues = json_lines(
        gh(
            "--paginate",
            f"repos/{repo}/issues?state=open&per_page=100",
            "--jq",
            ".[] | select(.pull_request == null) | {number: .number, body: .body}",
        )
    )
    existing = marked(issues, stack)
    if markdown is not None:
        body = {"title": f"Drift: stack {stack} differs from main", "body": markdown}
        if existing:
            gh("-X", "PATCH", f"repos/{repo}/issues/{existing['number']}", body=body)
            print(f"ci: updated drift issue #{existing['number']}")
        else:
            created = json.loads(gh("-X", "POST", f"repos/{repo}/issues", body=body))
            print(f"ci: opened drift issue #{created.get('number')}")
    elif existing:
        run = job_log_url(dict(os.environ)) or "the nightly check"
        gh(
            "-X",
            "POST",
            f"repos/{repo}/issues/{existing['number']}/comments",
            body={"body": f"No drift any more ({run}): closing."},
        )
        gh(
            "-X",
            "PATCH",
            f"repos/{repo}/issues/{existing['number']}",
            body={"state": "closed", "state_reason": "completed"},
        )
        print(f"ci: closed drift issue #{existing['number']}")


def stack_name(value: str) -> str:
    if not (REPO / f"Pulumi.{value}.yaml").exists():
        raise argparse.ArgumentTypeError(f"no stack file Pulumi.{value}.yaml")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/ci",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("preview", "drift", "up"):
        s = sub.add_parser(name)
        s.add_argument("stack", type=stack_name)
        s.add_argument(
            "--offline",
            action="store_true",
            help="a throw-away copy on local clusters (scripts/local-cluster), to try it out",
        )
    sub.choices["drift"].add_argument(
        "--issue", action="store_true", help="open/update (or close) the stack's drift issue"
    )
    sub.choices["drift"].add_argument(
        "--no-refresh", action="store_true", help="compare with the state only, not the clusters"
    )
    comment = sub.add_parser("comment")
    comment.add_argument("stack")
    comment.add_argument("file")
    comment.add_argument("--pr")
    sub.add_parser("kubeconfig")
    return p


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    return {
        "preview": cmd_preview,
        "drift": cmd_drift,
        "up": cmd_up,
        "comment": cmd_comment,
        "kubeconfig": cmd_kubeconfig,
    }[options.command](options)


if __name__ == "__main__":
    sys.exit(main())
