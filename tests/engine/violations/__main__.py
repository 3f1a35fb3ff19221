"""Deliberate violations: a floating image without resources, and an unversioned state store."""

import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("render", render_yaml_to_directory="rendered")
opts = pulumi.ResourceOptions(provider=provider)

k8s.apps.v1.Deployment(
    "floating",
    metadata={"name": "floating", "namespace": "team-a"},
    spec={"selector": {"matchLabels": {"app": "floating"}},
          "template": {"metadata": {"labels": {"app": "floating"}},
                       "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}}},
    opts=opts)

k8s.apiextensions.CustomResource(
    "unversioned-store",
    api_version="platform.kratix.io/v1alpha1",
    kind="BucketStateStore",
    metadata={"name": "unversioned"},
    spec={"bucketName": "kratix", "endpoint": "s3.example.com", "authMethod": "IAM"},
    opts=opts)
