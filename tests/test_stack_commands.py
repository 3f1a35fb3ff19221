"""What scripts/up, preview and destroy (scripts/stacks.py) say when the engine fails for a
reason the user can fix: one paragraph naming the stack, what is wrong and the fix, instead of
the engine's raw error (the messages below are the engine's own, pulumi 3.259). The faults
themselves are provoked against local clusters in tests/engine/test_faults.py."""

from __future__ import annotations

import sys

import pytest
from pulumi import automation as auto

from tests.harness import REPO

sys.path.insert(0, str(REPO / "scripts"))
import stacks  # noqa: E402

ENGINE_SAID = {
    "passphrase": "error: getting stack configuration: get stack secrets manager: "
                  "incorrect passphrase",
    "truncated": "error: failed to load checkpoint: place 1: unexpected end of JSON input",
    "integrity": "error: The Pulumi CLI encountered a snapshot integrity error. This is a bug!",
    "unreachable": 'error: configured Kubernetes cluster is unreachable: unable to load schema '
                   'information from the API server: Get "https://127.0.0.1:1/openapi/v2": '
                   'dial tcp 127.0.0.1:1: connect: connection refused',
    "locked": "error: the stack is currently locked by 1 lock(s). Either wait for the other "
              "process(es) to end or delete the lock file with `pulumi cancel`.",
}


def environment() -> stacks.Environment:
    return stacks.Environment(REPO, "dev", {"PULUMI_BACKEND_URL": "file:///srv/state"})


def failing(text: str):
    def step():
        raise auto.errors.CommandError(auto.CommandResult(stdout="", stderr=text, code=255))
    return step


@pytest.mark.parametrize("fault,words", [
    ("passphrase", "platform stack 'dev': PULUMI_CONFIG_PASSPHRASE is not the passphrase this "
                   "stack's secrets were set with"),
    ("truncated", "platform stack 'dev': its state (/srv/state/.pulumi/stacks/idp/dev.json) is "
                  "damaged (truncated or edited by hand) and cannot be read. Nothing was applied"),
    ("integrity", "`cp /srv/state/.pulumi/stacks/idp/dev.json.bak /srv/state/.pulumi/stacks/idp/"
                  "dev.json`"),
    ("unreachable", "platform stack 'dev': a cluster it applies to does not answer"),
])
def test_an_engine_failure_the_user_can_fix_is_one_paragraph_with_the_fix(fault, words):
    with pytest.raises(stacks.StacksError) as raised:
        environment()._run("platform", "up", failing(ENGINE_SAID[fault]))
    message = str(raised.value)
    assert words in message, message
    assert ENGINE_SAID[fault].splitlines()[0][:60] in message  # the engine's words follow


def test_a_locked_stack_names_the_command_that_clears_a_stale_lock():
    with pytest.raises(stacks.StackLocked, match=r"pulumi cancel --yes --stack dev"):
        environment()._run("CRD", "up", failing(ENGINE_SAID["locked"]))


def test_any_other_failure_keeps_the_engine_error_with_the_stack_and_command():
    with pytest.raises(stacks.StacksError, match=r"platform stack 'dev': `pulumi preview` "
                                                 r"failed:\n(.|\n)*something else"):
        environment()._run("platform", "preview", failing("error: something else"))


def test_a_cluster_that_does_not_answer_is_named_before_anything_runs(tmp_path):
    import socket

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = listening.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(f"""
clusters:
- {{name: up, cluster: {{server: "https://127.0.0.1:{port}"}}}}
- {{name: down, cluster: {{server: "https://127.0.0.1:1"}}}}
contexts:
- {{name: idp-dev-platform, context: {{cluster: down, user: u}}}}
- {{name: other, context: {{cluster: up, user: u}}}}
""")
    project = tmp_path / "project"
    project.mkdir()
    stack_file = (REPO / "Pulumi.dev.yaml").read_text().replace(
        "mode: kubeconfig", f"mode: kubeconfig\n        kubeconfig: {kubeconfig}")
    (project / "Pulumi.dev.yaml").write_text(stack_file)
    from components.config import ClusterTarget

    assert stacks.kubeconfig_server(ClusterTarget("kubeconfig", str(kubeconfig), "other")) == \
        f"https://127.0.0.1:{port}"
    assert stacks.unanswered(f"https://127.0.0.1:{port}") is None
    listening.close()
    with pytest.raises(stacks.StacksError) as refused:
        stacks.Environment(project, "dev", {}).check_inputs()
    assert ("cluster 'platform' (context idp-dev-platform, https://127.0.0.1:1): Connection "
            "refused") in str(refused.value)
    assert "Nothing was run." in str(refused.value)


def test_a_stack_config_error_is_refused_before_anything_runs(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  idp:topology: sideways\n")
    with pytest.raises(stacks.StacksError, match=r"platform stack 'dev' \(Pulumi.dev.yaml\): "
                                                 r"invalid stack config"):
        stacks.Environment(tmp_path, "dev", {}).check_inputs()


def test_a_platform_stack_from_before_the_crd_stack_forgets_its_crds_instead_of_deleting_them():
    crd = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
    chart = "urn:pulumi:dev::idp::kubernetes:helm.sh/v4:Chart::argo"
    crd_urn = f"urn:pulumi:dev::idp::kubernetes:helm.sh/v4:Chart${crd}::argo:apps"
    app = "urn:pulumi:dev::idp::kubernetes:argoproj.io/v1alpha1:Application::root"
    resources = [
        {"urn": chart, "type": "kubernetes:helm.sh/v4:Chart", "custom": False},
        {"urn": crd_urn, "type": crd, "parent": chart},
        {"urn": app, "type": "kubernetes:argoproj.io/v1alpha1:Application",
         "dependencies": [chart, crd_urn], "propertyDependencies": {"spec": [crd_urn]},
         "deletedWith": crd_urn},
    ]

    class Platform:
        imported = None

        def export_stack(self):
            return auto.Deployment(version=3, deployment={"manifest": {}, "resources": resources})

        def import_stack(self, state):
            Platform.imported = state

    environment().hand_over_crds(Platform())
    kept = Platform.imported.deployment["resources"]
    assert [r["urn"] for r in kept] == [chart, app]
    assert kept[1]["dependencies"] == [chart] and kept[1]["propertyDependencies"] == {"spec": []}
    assert "deletedWith" not in kept[1]
    assert Platform.imported.version == 3
    Platform.imported = None
    resources[:] = [r for r in resources if r["urn"] != crd_urn]
    environment().hand_over_crds(Platform())
    assert Platform.imported is None  # nothing to hand over: the state is left alone
