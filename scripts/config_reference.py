"""Write docs/config-reference.md from the config model (components/config.py).

    python scripts/config_reference.py          # rewrite the page
    python scripts/config_reference.py --check  # exit 1 when the page is stale

tests/test_docs.py runs the check, so the page never drifts from what the program enforces.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from components.config import reference_page  # noqa: E402

PAGE = REPO / "docs" / "config-reference.md"


def main(argv: list[str]) -> int:
    text = reference_page()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(f"{PAGE.relative_to(REPO)} is stale: run python scripts/config_reference.py")
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
