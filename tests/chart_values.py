"""Which Helm values a real chart reads: a misspelled key is silently ignored by Helm, so the
program's values are checked against the chart itself (its values.yaml, its subcharts, and the
keys its templates name).

A key is read when it is
- a key of the chart's `values.yaml` at that path (or of the subchart it names, alias included;
  `global` is read by every chart);
- inside a map the chart hands on whole (its default is an empty map or list, or a template
  passes it through `toYaml`, merges it
  or ranges over it), e.g. `resources`, `podAnnotations`, `securityContext`;
- or named by the chart's templates at its whole path: `.Values.a.b` (or deeper), or
  `.Values.a` bound as a context (`with`, `range`, an `include`) and `.b` read from there.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

# libyaml where PyYAML has it: the charts' values files are large (kube-prometheus-stack's is
# 5000 lines) and the pure-Python parser spends seconds on each.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What a template hands on whole: `toYaml .Values.x.y`, `tpl`, a merge, `range $k, $v := ...`
# (group 1: the reference), and `with .Values.x.y }} ... toYaml .` on the lines below. Each is
# searched once per chart, at every position (a lookahead, so references overlap).
_HANDED_ON = re.compile(r"(?=(?:toYaml|tpl|toJson|deepCopy|omit|merge\w*|range\s+[$\w, ]*:=)"
                        r"\s+\(?\s*([$\w.]*))")
_WITH_THEN_TOYAML = re.compile(r"(?=with\s+([$\w.]*)\s*-?}}[^{]{0,80}{{-?[^}]{0,40}"
                               r"(?:toYaml\s+\.|\.\s*\|\s*toYaml))")


# A reference to values: `.Values.a.b`, `$.Values.a`, `$root.Values.a`, or a relative `.a.b`.
_REFERENCE = re.compile(r"(?<![\w)\]])((?:\$\w*)?(?:\.[A-Za-z_][\w]*)+)")
# `dig "b" "c" <default> .Values.a`: read as `.Values.a.b.c`.
_DIG = re.compile(r'dig((?:\s+"[\w-]+")+)\s+(?:"[^"]*"|\(\w+\)|\w+)\s+(\$?\w*\.Values(?:\.\w+)*)')
# `index .Values.a "b" "c"`: read as `.Values.a.b.c`.
_INDEX = re.compile(r'index\s+(\$?\w*\.Values(?:\.[\w]+)*)((?:\s+"[\w-]+")+)')


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


@functools.lru_cache(maxsize=None)
def chart_at(path: Path) -> "Chart":
    """The chart unpacked at `path`, parsed once per test process."""
    return Chart(path)


@dataclasses.dataclass(frozen=True)
class Chart:
    """An unpacked chart directory: its default values, subcharts and template text."""

    path: Path

    @functools.cached_property
    def meta(self) -> dict:
        return load_yaml((self.path / "Chart.yaml").read_text()) or {}

    @functools.cached_property
    def defaults(self) -> dict:
        values = self.path / "values.yaml"
        return (load_yaml(values.read_text()) or {}) if values.is_file() else {}

    @functools.cached_property
    def subcharts(self) -> dict[str, "Chart"]:
        """Subcharts by the key their values live under (the alias, else the name)."""
        found = {}
        for dependency in self.meta.get("dependencies") or []:
            directory = self.path / "charts" / dependency["name"]
            if (directory / "Chart.yaml").is_file():
                found[dependency.get("alias") or dependency["name"]] = chart_at(directory)
        return found

    @functools.cached_property
    def template_text(self) -> str:
        files = [p for p in (self.path / "templates").rglob("*") if p.is_file()] \
            if (self.path / "templates").is_dir() else []
        # values.yaml too: charts such as loki keep their config templates in it (tpl).
        files += [self.path / "values.yaml"] if (self.path / "values.yaml").is_file() else []
        return "\n".join(p.read_text(errors="replace") for p in sorted(files))

    @functools.cached_property
    def handed_on_whole(self) -> frozenset[str]:
        """The references the templates hand on whole, e.g. `.Values.controller.resources`."""
        return frozenset(m.group(1) for pattern in (_HANDED_ON, _WITH_THEN_TOYAML)
                         for m in pattern.finditer(self.template_text))

    @functools.cached_property
    def references(self) -> tuple[frozenset[str], frozenset[str]]:
        """The value paths the templates name: absolute (`.Values.a.b`, `$.Values.a.b`,
        `index .Values.a "b"` as `a.b`) and relative to a context (`.b.c` inside a `with`, a
        `range`, or a template `include`d with part of the values)."""
        text = _INDEX.sub(lambda m: m.group(1) + "".join(
            f".{key}" for key in re.findall(r'"([\w-]+)"', m.group(2))), self.template_text)
        text = _DIG.sub(lambda m: m.group(2) + "".join(
            f".{key}" for key in re.findall(r'"([\w-]+)"', m.group(1))), text)
        absolute, relative = set(), set()
        for match in _REFERENCE.finditer(text):
            reference = match.group(1)
            if ".Values." in reference:
                absolute.add(reference.split(".Values.", 1)[1])
            elif reference.startswith("."):
                relative.add(reference[1:])
        return frozenset(absolute), frozenset(relative)

    def reads_path(self, path: tuple[str, ...]) -> bool:
        """A template reads `path` whole: `.Values.<path>` (or deeper), or a prefix of it as a
        context and the rest from there (`with .Values.a` ... `.b.c`)."""
        absolute, relative = self.references
        dotted = ".".join(path)

        def named(found: frozenset[str], wanted: str) -> bool:
            return wanted in found or any(r.startswith(wanted + ".") for r in found)

        if named(absolute, dotted):
            return True
        return any(named(absolute, ".".join(path[:cut])) and named(relative, ".".join(path[cut:]))
                   for cut in range(1, len(path)))

    def hands_on_whole(self, path: tuple[str, ...]) -> bool:
        """A template passes `.…<key>` on whole (toYaml, tpl, a merge, a range over it), so
        any key inside it is read."""
        # The reference ends with the parent and the key (`.Values.key` at the top level).
        suffix = f".{path[-2] if len(path) > 1 else 'Values'}.{path[-1]}"
        return any(reference.endswith(suffix) for reference in self.handed_on_whole)


def unread_keys(chart: Chart, values: Mapping[str, Any]) -> list[str]:
    """Dotted paths of `values` that `chart` never reads (empty when every key is read)."""
    return list(_unread(chart, values, chart.defaults, ()))


def _unread(chart: Chart, values: Mapping[str, Any], defaults: Any,
            path: tuple[str, ...]) -> Iterator[str]:
    for key, value in values.items():
        here = (*path, str(key))
        if not path and key == "global":
            continue  # every chart and subchart reads global
        if not path and key in chart.subcharts:
            if isinstance(value, Mapping):
                # Read by the subchart, or by the parent itself (kube-prometheus-stack reads
                # some keys under `grafana`).
                sub = chart.subcharts[key]
                by_sub = {f"{key}.{p}" for p in _unread(sub, value, sub.defaults, ())}
                parent_defaults = defaults.get(key) if isinstance(defaults, Mapping) else None
                by_parent = set(_unread(chart, value, parent_defaults or {}, here))
                yield from sorted(by_sub & by_parent)
            continue
        default = defaults.get(key) if isinstance(defaults, Mapping) else None
        known = isinstance(defaults, Mapping) and key in defaults
        if known and isinstance(value, Mapping) and isinstance(default, Mapping) and default:
            if chart.hands_on_whole(here):
                continue
            yield from _unread(chart, value, default, here)
        elif known:
            continue  # a scalar, a list, or a map whose default is empty: handed on whole
        elif chart.reads_path(here):
            continue
        else:
            yield ".".join(here)
