"""The promises layer's settings (`idp:promises`) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig
from components.configschema import NAMESPACE, Problems, setting
from components.placement import Destination, report_unmatched_selectors
from promises import all_promises


@dataclasses.dataclass(frozen=True)
class Promises:
    """Every promise in promises/ (the cloud-backed ones only with the Crossplane layer),
    installed after Kratix."""

    enabled: bool = setting("enabled", "install every promise in promises/", default=False)
    image_registry: str = setting(
        "imageRegistry",
        "registry and path of the pipeline images, pulled as "
        "<imageRegistry>/<promise>-pipeline:<promise version>",
        default="ghcr.io/idp-as-code/promises",
        format=fmt.REGISTRY,
    )
    destination_selectors: Mapping[str, str] = setting(
        "destinationSelectors",
        "destination labels every promise's operator and resources "
        "are scheduled to; must match at least one destination",
        default=dict,
        keys=fmt.LABEL_KEY,
        format=fmt.LABEL_VALUE,
    )


def promise_destinations(config: StackConfig) -> list[Destination]:
    """Destinations the promises schedule to: every label of the selectors matches (Kratix
    ANDs them); with no selectors, every destination without strictMatchLabels."""
    selectors = SETTINGS.of(config).destination_selectors
    if not selectors:
        return [d for d in config.destinations if not d.strict_match_labels]
    return [
        d
        for d in config.destinations
        if all(d.all_labels.get(key) == value for key, value in selectors.items())
    ]


def offered_promises(config: StackConfig) -> list:
    """The promises this stack installs: none without idp:promises; the cloud-backed ones only
    where the Crossplane layer runs to reconcile what their pipelines emit."""
    if not SETTINGS.of(config).enabled:
        return []
    return [d for d in all_promises() if config.switched_on("crossplane") or not d.cloud_backed]


def check_promises(config: StackConfig, _secret_keys: frozenset[str], problems: Problems) -> None:
    key = f"{NAMESPACE}:promises"
    settings = SETTINGS.of(config)
    if not settings.enabled:
        return
    if not promise_destinations(config):
        report_unmatched_selectors(
            settings.destination_selectors,
            config.destinations,
            f"{key}.destinationSelectors",
            "no operator or service would ever be scheduled",
            problems,
        )


SETTINGS = LayerSettings(
    "promises",
    Promises,
    "services as a service: every promise in promises/",
    rank=160,
    checks=((Phase.PLACEMENT, check_promises),),
)
