"""The cloud layer's own API for object storage: a Crossplane v2 CompositeResourceDefinition
(namespaced `ObjectBucket`) and the Composition that turns one into AWS S3 managed resources
through function-patch-and-transform.

Pure Python (no Pulumi): the CloudResources component installs these two objects wherever
Crossplane runs, and the objectstorage pipeline emits `ObjectBucket` composites of this API.
"""

from __future__ import annotations

from typing import Mapping

from promises.objectstorage.api import REGIONS, VERSIONING

GROUP = "cloud.platform.company.com"
VERSION = "v1alpha1"
KIND = "ObjectBucket"
PLURAL = "objectbuckets"
API_VERSION = f"{GROUP}/{VERSION}"
XRD_NAME = f"{PLURAL}.{GROUP}"
COMPOSITION_NAME = f"{PLURAL}-aws"
PATCH_FUNCTION = "function-patch-and-transform"
# Namespaced managed resources of provider-aws-s3 v2, and the cluster-wide config they use.
S3_API = "s3.aws.m.upbound.io/v1beta1"
PROVIDER_CONFIG = {"kind": "ClusterProviderConfig", "name": "default"}


def xrd() -> dict:
    """The ObjectBucket API: what a composite may say (region, versioning, tags) and report."""
    spec = {
        "type": "object",
        "required": ["region"],
        "properties": {
            "region": {
                "type": "string",
                "enum": list(REGIONS),
                "description": "cloud region of the bucket",
            },
            "versioning": {
                "type": "string",
                "enum": list(VERSIONING),
                "default": "Enabled",
                "description": "S3 object versioning state",
            },
            "tags": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "cost-allocation tags put on the bucket",
            },
        },
    }
    status = {
        "type": "object",
        "properties": {
            "arn": {"type": "string", "description": "the bucket's ARN"},
            "bucketName": {"type": "string", "description": "the bucket's name in the account"},
        },
    }
    return {
        "apiVersion": "apiextensions.crossplane.io/v2",
        "kind": "CompositeResourceDefinition",
        "metadata": {"name": XRD_NAME},
        "spec": {
            "group": GROUP,
            # v2: composites live in the requesting team's namespace; no claims.
            "scope": "Namespaced",
            "names": {"kind": KIND, "plural": PLURAL},
            "defaultCompositionRef": {"name": COMPOSITION_NAME},
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "referenceable": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": spec, "status": status},
                        }
                    },
                }
            ],
        },
    }


def _from_composite(field: str, to: str) -> dict:
    return {"type": "FromCompositeFieldPath", "fromFieldPath": field, "toFieldPath": to}


def _to_composite(field: str, to: str) -> dict:
    return {"type": "ToCompositeFieldPath", "fromFieldPath": field, "toFieldPath": to}


def _managed(name: str, kind: str, for_provider: Mapping, patches: list[dict]) -> dict:
    """One composed S3 resource; every one is placed in the composite's region."""
    return {
        "name": name,
        "base": {
            "apiVersion": S3_API,
            "kind": kind,
            "spec": {"forProvider": dict(for_provider), "providerConfigRef": dict(PROVIDER_CONFIG)},
        },
        "patches": [_from_composite("spec.region", "spec.forProvider.region"), *patches],
    }


def composition() -> dict:
    """ObjectBucket -> Bucket, BucketVersioning and BucketPublicAccessBlock on AWS."""
    same_bucket = {"bucketSelector": {"matchControllerRef": True}}
    resources = [
        _managed(
            "bucket",
            "Bucket",
            {},
            [
                _from_composite("spec.tags", "spec.forProvider.tags"),
                _to_composite("status.atProvider.arn", "status.arn"),
                _to_composite("status.atProvider.id", "status.bucketName"),
            ],
        ),
        _managed(
            "versioning",
            "BucketVersioning",
            {**same_bucket, "versioningConfiguration": {"status": "Enabled"}},
            [_from_composite("spec.versioning", "spec.forProvider.versioningConfiguration.status")],
        ),
        # Team buckets are never public: every public-access switch is blocked.
        _managed(
            "public-access-block",
            "BucketPublicAccessBlock",
            {
                **same_bucket,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            [],
        ),
    ]
    return {
        "apiVersion": "apiextensions.crossplane.io/v1",
        "kind": "Composition",
        "metadata": {"name": COMPOSITION_NAME},
        "spec": {
            "compositeTypeRef": {"apiVersion": API_VERSION, "kind": KIND},
            "mode": "Pipeline",
            "pipeline": [
                {
                    "step": "patch-and-transform",
                    "functionRef": {"name": PATCH_FUNCTION},
                    "input": {
                        "apiVersion": "pt.fn.crossplane.io/v1beta1",
                        "kind": "Resources",
                        "resources": resources,
                    },
                }
            ],
        },
    }


def composite(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    region: str,
    versioning: str,
    tags: Mapping[str, str],
) -> dict:
    """One ObjectBucket composite resource, as a pipeline writes it for a destination."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"region": region, "versioning": versioning, "tags": dict(tags)},
    }
