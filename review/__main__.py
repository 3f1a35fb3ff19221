"""scripts/review PREVIEW_JSON: the Markdown review summary of a `pulumi preview --json` run.

Reads either form of the output (the summary document, or the engine-event stream written with
PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true, which carries the policy findings); `-` reads standard
input. Writes Markdown to standard output. Bad input is one clear error on standard error and
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from review.markdown import COMMENT_LIMIT, render
from review.policies import remediations
from review.preview import Preview, ReviewError, load

REPO = Path(__file__).resolve().parent.parent


def job_log_url(environ: dict[str, str]) -> str | None:
    """This GitHub Actions run's page, where the full preview log is."""
    server, repository, run = (
        environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repository and run:
        return f"{server}/{repository}/actions/runs/{run}"
    return None


def blocking(preview: Preview) -> bool:
    return preview.failed or any(f.level == "mandatory" for f in preview.findings)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/review", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "preview_json",
        metavar="PREVIEW_JSON",
        help="output of `pulumi preview --json` (either form); - for standard input",
    )
    p.add_argument(
        "--stack",
        help="stack name for the headline and the comment marker (default: from the URNs)",
    )
    p.add_argument("--title", default="Pulumi preview", help="headline text")
    p.add_argument(
        "--crds",
        metavar="CRDS_JSON",
        help="the CRD stack's `pulumi preview --json` (crds/, docs/stacks.md): its CRD "
        "changes, by kind and version, head the same comment",
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="the preview's standard error: its tail is quoted if the preview failed "
        "without an engine error",
    )
    p.add_argument("--log-url", help="link to the full log (default: this GitHub Actions run)")
    p.add_argument(
        "--limit",
        type=int,
        default=COMMENT_LIMIT,
        help=f"maximum characters (default {COMMENT_LIMIT}, GitHub's comment limit)",
    )
    p.add_argument(
        "--policy-packs",
        type=Path,
        default=REPO / "policies",
        help="where the policy packs' sources are, for remediation text",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the preview failed or a mandatory policy is violated",
    )
    return p


def read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    try:
        if options.limit < 1000:
            raise ReviewError("--limit must be at least 1000 characters")
        preview = load(read(options.preview_json))
        crds = load(read(options.crds)) if options.crds else None
        log_tail = None
        if options.log and Path(options.log).exists():
            log_tail = Path(options.log).read_text(encoding="utf-8", errors="replace")[-4000:]
        markdown = render(
            preview,
            stack=options.stack,
            title=options.title,
            remediation=remediations(options.policy_packs),
            log_url=options.log_url or job_log_url(dict(os.environ)),
            log_tail=log_tail,
            limit=options.limit,
            crds=crds,
        )
    except ReviewError as error:
        print(f"review: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"review: error: cannot read {error.filename or options.preview_json}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    except UnicodeDecodeError:
        print(f"review: error: {options.preview_json} is not UTF-8 text", file=sys.stderr)
        return 2
    sys.stdout.write(markdown)
    failed = blocking(preview) or (crds is not None and crds.failed)
    return 1 if options.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
