"""Pull-request review of a Pulumi preview: what changes, per layer and cluster, and what the
policy packs say.

`review.preview.load` reads `pulumi preview --json` output in either of its forms (the summary
document, or the engine-event stream of `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true`, which is
the one that carries policy findings) into a `Preview`; `review.markdown.render` writes the
Markdown a PR comment or a job summary shows. `python -m review` (`scripts/review`) is the CLI.
"""

from review.markdown import COMMENT_LIMIT, marker, render
from review.preview import Preview, ReviewError, load

__all__ = ["COMMENT_LIMIT", "Preview", "ReviewError", "load", "marker", "render"]
