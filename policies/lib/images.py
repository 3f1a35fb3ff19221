"""Container image references: tag, digest, and whether they pin a reproducible build."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Iterable

from policies.lib import kube

SEMVER_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


@dataclasses.dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None


def parse(image: str) -> ImageRef:
    """Split `registry:port/repo:tag@sha256:...` into repository, tag and digest."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
    else:
        repository, tag = name, None
    return ImageRef(repository, tag or None, digest or None)


def floating_problem(image: str) -> str | None:
    """Why `image` does not pin what runs (untagged or `latest`), or None."""
    ref = parse(image)
    if ref.digest:
        return None
    if ref.tag is None:
        return "has no tag (it means latest)"
    if ref.tag == "latest":
        return "uses the tag latest"
    return None


def semver_problem(image: str) -> str | None:
    """Why `image` is not pinned to a semantic version (or a digest), or None."""
    problem = floating_problem(image)
    if problem:
        return problem
    ref = parse(image)
    if ref.digest or (ref.tag and SEMVER_TAG.match(ref.tag)):
        return None
    return f"uses the tag {ref.tag}, which is not a semantic version (for example v1.2.3)"


def container_problems(
    containers: Iterable[Any], problem_of: Callable[[str], str | None]
) -> Iterable[str]:
    """ "container 'NAME' image IMAGE PROBLEM" for each container whose image has a problem
    (images unknown during preview are skipped)."""
    for container in containers:
        image = kube.dig(container, "image")
        if not isinstance(image, str):
            continue
        problem = problem_of(image)
        if problem:
            yield f"container '{kube.dig(container, 'name')}' image {image} {problem}"
