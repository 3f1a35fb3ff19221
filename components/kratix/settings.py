"""The Kratix layer's settings (`idp:kratix`): the controller's image and ServiceAccount."""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components import charts
from components import formats as fmt
from components.config import LayerSettings
from components.configschema import setting


@dataclasses.dataclass(frozen=True)
class KratixSettings:
    """Kratix controller settings."""

    image: str = setting(
        "image",
        "controller image, pinned by digest",
        default=charts.IMAGES["kratix-controller"],
        format=fmt.IMAGE_BY_DIGEST,
    )
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations",
        "annotations on the controller ServiceAccount (for "
        "example an IAM role for bucket stores with authMethod IAM)",
        default=dict,
        keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES,
    )


SETTINGS = LayerSettings(
    "kratix",
    KratixSettings,
    "Kratix controller settings",
    rank=115,
)
