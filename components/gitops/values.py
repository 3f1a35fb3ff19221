"""Chart values of the GitOps layer: ArgoCD (HA in prod, Redis HA helpers) and the secrets
manager's controller.
"""

from __future__ import annotations

from components.gitops.sizes import SIZES
from components.profiles import Footprint, SizeProfile

# ArgoCD stopped assessing Applications' health in 1.8, so a parent syncing child Applications in
# waves would not wait for a child to be healthy. This restores the assessment (argocd-cm).
APPLICATION_HEALTH_LUA = """\
hs = {status = "Progressing", message = ""}
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  hs.message = obj.status.health.message or ""
end
return hs
"""
SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller"


def argocd_values(profile: SizeProfile) -> dict:
    ha = profile.highly_available

    def component(footprint) -> dict:
        return {
            "replicas": footprint.replicas,
            "resources": footprint.resources(),
            "pdb": {"enabled": ha},
        }

    return {
        # The CRDs are applied server-side (the provider's SSA; ArgoCD's own annotation when it
        # manages itself): the ApplicationSet CRD alone is 1.4 MB.
        "crds": {
            "install": True,
            # Not Helm's keep policy (the provider honours it by leaving the CRDs behind):
            # `pulumi destroy` removes everything the stack made. To keep them when the layer
            # is removed: idp:charts.argo-cd.values.crds.keep: true.
            "keep": False,
            "annotations": {"argocd.argoproj.io/sync-options": "ServerSideApply=true"},
        },
        "global": {"networkPolicy": {"create": True}},
        # Chart 9.0 changed the default; generated Applications follow their ApplicationSet.
        "configs": {
            "params": {"applicationsetcontroller.policy": "sync"},
            "cm": {
                "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA
            },
        },
        "controller": component(SIZES[profile.name].argocd_controller),
        "server": component(SIZES[profile.name].argocd_server),
        "repoServer": component(SIZES[profile.name].argocd_repo_server),
        "applicationSet": component(SIZES[profile.name].argocd_applicationset),
        "redis": {"enabled": not ha, "resources": SIZES[profile.name].argocd_redis.resources()},
        # redis-ha places its three pods on separate nodes: prod only. Every container it runs
        # is sized: redis like the single redis, its sentinel, HAProxy, init and split-brain
        # helpers like the sidecars they are (the chart leaves them all unset).
        "redis-ha": {"enabled": ha, **redis_ha_resources(profile)} if ha else {"enabled": False},
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
    }


REDIS_HA_HELPER = Footprint(1, "20m", "32Mi", "200m", "128Mi")


def redis_ha_resources(profile: SizeProfile) -> dict:
    helper = {"resources": REDIS_HA_HELPER.resources()}
    return {
        "redis": {"resources": SIZES[profile.name].argocd_redis.resources()},
        "sentinel": helper,
        "haproxy": {**helper, "init": helper},
        "init": helper,
        "splitBrainDetection": helper,
    }


def secrets_values(manager: str, profile: SizeProfile) -> dict:
    footprint = SIZES[profile.name].secrets_controller
    if manager == "sealed-secrets":
        # kubeseal looks for this name unless told otherwise.
        return {
            "fullnameOverride": SEALED_SECRETS_CONTROLLER,
            "resources": footprint.resources(),
            # No PodDisruptionBudget: the chart runs exactly one replica (the key holder), and a
            # budget of one available pod would block every node drain.
        }
    return {
        "installCRDs": True,
        "replicaCount": footprint.replicas,
        "leaderElect": footprint.replicas > 1,
        "resources": footprint.resources(),
        "podDisruptionBudget": {"enabled": profile.highly_available},
        "webhook": {"replicaCount": footprint.replicas, "resources": footprint.resources()},
        "certController": {"replicaCount": footprint.replicas, "resources": footprint.resources()},
    }
