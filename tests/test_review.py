"""The review summary on small hand-written previews, one edge condition each: unknown values,
a PVC replaced, a secret changed, a mandatory violation, nothing to change, a failed preview,
input that is no preview, a preview too large for one comment. Real previews of both stacks are
summarised in tests/engine/test_review_engine.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from review import COMMENT_LIMIT, load, marker, render
from review.__main__ import main
from review.markdown import LAYERS
from review.policies import remediations
from tests.harness import REPO

STACK = "urn:pulumi:dev::idp::"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          "ciphertext": "[secret]"}
PLATFORM = f"{STACK}pulumi:providers:kubernetes::platform::11111111-2222"


def urn(chain: str, name: str) -> str:
    return f"{STACK}{chain}::{name}"


def step_event(op: str, urn_: str, *, type_: str | None = None, old: dict | None = None,
               new: dict | None = None, detailed: dict | None = None, keys: list | None = None,
               provider: str = PLATFORM, parent: str = "") -> dict:
    type_ = type_ or urn_.split("::")[2].split("$")[-1]
    meta = {"op": op, "urn": urn_, "type": type_, "provider": provider, "logical": True,
            "old": None, "new": None, "detailedDiff": None}
    for side, inputs in (("old", old), ("new", new)):
        if inputs is not None:
            meta[side] = {"type": type_, "urn": urn_, "id": "", "parent": parent,
                          "provider": provider, "inputs": inputs, "outputs": inputs}
    if detailed is not None:
        meta["detailedDiff"] = {path: {"diffKind": kind, "inputDiff": True}
                                for path, kind in detailed.items()}
    if keys:
        meta["keys"] = keys
    return {"sequence": 1, "timestamp": 1, "resourcePreEvent": {"metadata": meta,
                                                                "planning": True}}


def stream(*events: dict, result: str = "succeeded") -> str:
    counts: dict[str, int] = {}
    for event in events:
        if "resourcePreEvent" in event:
            op = event["resourcePreEvent"]["metadata"]["op"]
            counts[op] = counts.get(op, 0) + 1
    summary = {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 3,
                                "resourceChanges": counts, "PolicyPacks": {},
                                "isPreview": True, "result": result}}
    return "\n".join(json.dumps(e) for e in (*events, summary)) + "\n"


def k8s(name: str, namespace: str | None = None, **spec) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"metadata": meta, **spec}


def test_unknown_values_are_shown_as_known_after_apply():
    deployment = urn("idp:platform:StateStore$kubernetes:apps/v1:Deployment", "minio")
    markdown = render(load(stream(step_event(
        "update", deployment,
        old=k8s("minio", "statestore-default", spec={"replicas": 1, "image": "minio:1"}),
        new=k8s("minio", "statestore-default", spec={"replicas": 2, "image": UNKNOWN}),
        detailed={"spec.replicas": "update", "spec.image": "update"}))))
    assert "1 to update" in markdown
    assert "`spec.image` (known after apply)" in markdown
    assert "`spec.replicas`: `1` → `2`" in markdown
    assert "1 input value(s) of 1 object(s) are known only after apply" in markdown
    assert UNKNOWN not in markdown
    # A multi-line value shows its first changed line.
    catalog = urn("idp:platform:DeveloperPortal$kubernetes:core/v1:ConfigMap", "catalog")
    markdown = render(load(stream(step_event(
        "update", catalog, old=k8s("catalog", "backstage", data={"e.yaml": "a: 1\nb: small\n"}),
        new=k8s("catalog", "backstage", data={"e.yaml": "a: 1\nb: medium\n"}),
        detailed={'data["e.yaml"]': "update"}))))
    assert '`data["e.yaml"]`: line 2 `b: small` → `b: medium`' in markdown


def test_a_replaced_pvc_is_called_out_first_as_a_risk():
    pvc = urn("idp:platform:StateStore$kubernetes:core/v1:PersistentVolumeClaim", "minio-data")
    markdown = render(load(stream(step_event(
        "replace", pvc,
        old=k8s("minio-data", "statestore-default", spec={"storageClassName": "standard"}),
        new=k8s("minio-data", "statestore-default", spec={"storageClassName": "fast"}),
        detailed={"spec.storageClassName": "update-replace"}, keys=["spec"]))))
    risks = markdown.index("[!CAUTION]")
    assert risks < markdown.index("| layer |") < markdown.index("<details>")
    assert ("**replace** PersistentVolumeClaim `statestore-default/minio-data` "
            "(State stores, platform) — replaced because of `spec.storageClassName`") in markdown
    assert "1 to replace" in markdown.splitlines()[1]
    assert "**`spec.storageClassName`** (replaces): `standard` → `fast`" in markdown


def test_a_secret_change_shows_the_path_and_never_the_value():
    secret = urn("idp:platform:StateStore$kubernetes:core/v1:Secret", "minio-credentials")
    leaked = {**SECRET, "plaintext": '"hunter2-old"'}  # even a plaintext the engine should omit
    events = stream(step_event(
        "update", secret,
        old=k8s("minio-credentials", "statestore-default",
                stringData={"MINIO_ROOT_PASSWORD": leaked}, type="Opaque"),
        new=k8s("minio-credentials", "statestore-default",
                stringData={"MINIO_ROOT_PASSWORD": {**SECRET, "plaintext": '"hunter2-new"'}},
                type="Opaque"),
        detailed={"stringData.MINIO_ROOT_PASSWORD": "update"}))
    markdown = render(load(events))
    assert "`stringData.MINIO_ROOT_PASSWORD` [secret]" in markdown
    assert "hunter2" not in markdown and "ciphertext" not in markdown
    # The summary document writes secrets as "[secret]": the same, and a Secret's data paths are
    # secret even where a program forgot to mark them.
    digest = {"steps": [{"op": "update", "urn": secret, "provider": PLATFORM,
                         "oldState": {"urn": secret, "type": "kubernetes:core/v1:Secret",
                                      "inputs": k8s("c", "ns", data={"k": "plain-old"})},
                         "newState": {"urn": secret, "type": "kubernetes:core/v1:Secret",
                                      "inputs": k8s("c", "ns", data={"k": "plain-new"})},
                         "detailedDiff": {"data.k": {"kind": "update", "inputDiff": True}}}],
              "changeSummary": {"update": 1}}
    markdown = render(load(json.dumps(digest)))
    assert "`data.k` [secret]" in markdown and "plain-" not in markdown


def test_a_mandatory_violation_comes_first_with_its_remediation_and_fails_the_check(tmp_path):
    deployment = urn("idp:platform:ObservabilityStack$kubernetes:apps/v1:Deployment", "grafana")
    policy = {"policyEvent": {
        "resourceUrn": deployment, "policyName": "platform-image-pinned",
        "policyPackName": "idp-platform", "policyPackVersion": "0.1.0",
        "enforcementLevel": "mandatory", "severity": "high", "color": "raw",
        "message": "<{%fg 1%}>Workload images must carry a fixed tag or digest, never latest or "
                   "no tag.<{%reset%}>\nDeployment 'grafana' container 'grafana' uses the tag "
                   "latest\n"}}
    advisory = {"policyEvent": {**policy["policyEvent"], "policyName": "platform-cost-labels",
                                "enforcementLevel": "advisory", "severity": "low",
                                "message": "Cost labels.\nNamespace 'x' lacks team"}}
    text = stream(step_event("create", deployment, new=k8s("grafana", "monitoring")),
                  advisory, policy, result="failed")
    markdown = render(load(text), remediation=remediations(REPO / "policies"))
    assert "❌ 1 mandatory violation(s): this check fails" in markdown
    assert markdown.index("**Mandatory**") < markdown.index("**Advisory**")
    assert ("- ❌ **`platform-image-pinned`** (idp-platform, high, 1 finding(s)): Workload "
            "images must carry a fixed tag or digest, never latest or no tag.") in markdown
    assert "*Remediation:* Set an explicit version tag (or a digest) on the image." in markdown
    assert ("  - Deployment `monitoring/grafana` on `platform`: Deployment 'grafana' container "
            "'grafana' uses the tag latest") in markdown
    assert "<{%" not in markdown
    path = tmp_path / "preview.jsonl"
    path.write_text(text)
    assert main([str(path), "--check"]) == 1


def test_an_empty_preview_says_no_changes():
    stack_urn = f"{STACK}pulumi:pulumi:Stack::idp-dev"
    markdown = render(load(stream(step_event("same", stack_urn, provider=""))))
    assert markdown.startswith(marker("dev") + "\n### ✅ Pulumi preview of `dev`: no changes "
                               "(1 unchanged)")
    assert "| layer |" not in markdown and "<details>" not in markdown
    assert "✅ no findings" in markdown
    # The summary document of a run with nothing to do, too.
    digest = {"steps": [{"op": "same", "urn": stack_urn, "newState": {"type":
                         "pulumi:pulumi:Stack", "urn": stack_urn}}],
              "changeSummary": {"same": 1}}
    assert "no changes (1 unchanged)" in render(load(json.dumps(digest)))
    # ... also after a line of its own (scripts/preview --offline names its workspace first).
    text = "offline workspace: /tmp/x\n" + json.dumps(digest, indent=4)
    assert "no changes (1 unchanged)" in render(load(text))


def test_a_failed_preview_shows_the_error_short():
    stack_urn = f"{STACK}pulumi:pulumi:Stack::idp-dev"
    trace = "\n".join(f"  frame {i}" for i in range(200))
    error = {"diagnosticEvent": {"urn": stack_urn, "prefix": "<{%fg 1%}>error: <{%reset%}>",
                                 "message": "idp:destinations[1].stateStore: names no state "
                                            f"store 'git-state'\n{trace}\n",
                                 "color": "raw", "severity": "error"}}
    markdown = render(load(stream(step_event("create", stack_urn, provider=""), error,
                                  result="failed")), log_url="https://ci.example/run/7")
    assert markdown.splitlines()[1].startswith("### ❌ failed: Pulumi preview of `dev`")
    assert "error: idp:destinations[1].stateStore: names no state store 'git-state'" in markdown
    assert "[job log](https://ci.example/run/7)" in markdown
    assert "frame 11" not in markdown and len(markdown) < 3000


def test_input_that_is_no_preview_is_one_clear_error(tmp_path, capsys):
    cases = {"empty.json": "", "text.json": "error: no stack named 'dev' found\n",
             "array.json": "[1, 2]", "other.json": '{"name": "x"}', "broken.jsonl":
             '{"summaryEvent": {}}\n{"resourcePreEvent": '}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert main([str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err
        assert err.startswith("review: error: ") and "Traceback" not in err, err
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    # And through the script a workflow calls, standard input included.
    result = subprocess.run([str(REPO / "scripts" / "review"), "-"], input="not json",
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_a_preview_too_large_for_one_comment_is_cut_to_fit_with_a_pointer():
    events = [step_event("create", urn("idp:platform:SecurityBaseline$kubernetes:core/v1:"
                                       "ConfigMap", f"config-{i:05d}"),
                         new=k8s(f"config-{i:05d}", f"team-{i % 40}-prod"))
              for i in range(3000)]
    events += [step_event("update", urn("idp:platform:KratixPlatform$kubernetes:apps/v1:"
                                        "Deployment", f"d-{i}"),
                          old=k8s(f"d-{i}", "kratix", spec={"replicas": 1}),
                          new=k8s(f"d-{i}", "kratix", spec={"replicas": 2}),
                          detailed={"spec.replicas": "update"}) for i in range(2500)]
    markdown = render(load(stream(*events)), log_url="https://ci.example/run/8")
    assert len(markdown) <= COMMENT_LIMIT
    assert markdown.startswith(marker("dev"))
    assert "3000 to create, 2500 to update" in markdown
    assert "[job log](https://ci.example/run/8)" in markdown
    assert markdown.count("<details>") == markdown.count("</details>")
    # A smaller preview keeps every object.
    small = render(load(stream(*events[:50])))
    assert small.count("ConfigMap `team-") == 50


def test_rows_are_layers_and_columns_are_the_clusters_providers():
    worker = f"{STACK}pulumi:providers:kubernetes::prod-eu-west-1::3333"
    events = [
        step_event("create", urn("idp:platform:Destination$kubernetes:source.toolkit.fluxcd.io"
                                 "/v1:Bucket", "b"), new=k8s("b", "flux-system"), provider=worker),
        step_event("create", urn("idp:platform:Destination$kubernetes:platform.kratix.io/"
                                 "v1alpha1:Destination", "d"), new=k8s("d")),
        step_event("delete", urn("idp:platform:SecurityBaseline$kubernetes:core/v1:Namespace",
                                 "payments-prod"), old=k8s("payments-prod"), provider=worker),
        step_event("create", urn("idp:platform:StateStore$random:index/randomPassword:"
                                 "RandomPassword", "pw"), new={"length": 40},
                   provider=f"{STACK}pulumi:providers:random::default_4_21_1::44"),
    ]
    markdown = render(load(stream(*events)))
    assert "| layer | `platform` | `prod-eu-west-1` | — | total |" in markdown
    assert "| **State stores** |  |  | +1 | +1 |" in markdown
    assert "| **Destinations** | +1 | +1 |  | +2 |" in markdown
    assert "| **Security** |  | -1 |  | -1 |" in markdown
    assert "**delete** Namespace `payments-prod` (Security, prod-eu-west-1)" in markdown


def test_every_component_type_of_the_program_has_a_layer():
    tokens = set()
    for source in (REPO / "components").glob("*.py"):
        tokens |= set(re.findall(r'"(idp:platform:[A-Za-z]+)"', source.read_text()))
    assert tokens and tokens <= set(LAYERS), sorted(tokens - set(LAYERS))


def test_every_policy_of_both_packs_has_its_remediation():
    found = remediations(REPO / "policies")
    sys.path.insert(0, str(REPO))
    from policies.kratix import POLICIES as KRATIX
    from policies.platform import POLICIES as PLATFORM_POLICIES
    for policy in [*KRATIX, *PLATFORM_POLICIES]:
        assert found.get(policy.name) == " ".join(policy.remediation_steps.split()), policy.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_marker_is_stable_per_stack(stack):
    assert marker(stack) == f"<!-- idp-review: stack={stack} -->"
    assert render(load(stream()), stack=stack).startswith(marker(stack) + "\n")


def test_the_cli_reads_standard_input(monkeypatch, capsys):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO(stream()))
    assert main(["-", "--stack", "prod"]) == 0
    assert capsys.readouterr().out.startswith(marker("prod"))


def test_cli_script_is_executable():
    assert (REPO / "scripts" / "review").stat().st_mode & 0o111
    assert Path(REPO / "review" / "__main__.py").exists()


# -- the CRD stack's preview in the same comment (docs/stacks.md) ---------------------------

CRDS = "urn:pulumi:dev::idp-crds::"
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
CRD_PROVIDER = f"{CRDS}idp:platform:CrdSet$pulumi:providers:kubernetes::platform::33333333"


def crd(kind: str, group: str, *versions: str, storage: str | None = None,
        schema: str = "object") -> dict:
    storage = storage or versions[-1]
    return k8s(f"{kind.lower()}s.{group}", spec={
        "group": group, "names": {"kind": kind, "plural": f"{kind.lower()}s"},
        "versions": [{"name": v, "served": True, "storage": v == storage,
                      "schema": {"openAPIV3Schema": {"type": schema,
                                                     "description": "LONG SCHEMA TEXT"}}}
                     for v in versions]})


def crd_step(op: str, kind: str, old: dict | None, new: dict | None,
             detailed: dict | None = None) -> dict:
    chain = f"idp:platform:CrdSet$kubernetes:helm.sh/v4:Chart${CRD_TYPE}"
    return step_event(op, f"{CRDS}{chain}::chart:{kind.lower()}", type_=CRD_TYPE, old=old,
                      new=new, detailed=detailed, provider=CRD_PROVIDER)


def platform_preview():
    return load(stream(step_event(
        "create", urn("idp:platform:StateStore$kubernetes:core/v1:Namespace", "ns"),
        new=k8s("statestore"))))


def test_crd_changes_head_the_comment_by_kind_and_version_without_their_schemas():
    crds = load(stream(
        crd_step("update", "Promise", crd("Promise", "platform.kratix.io", "v1alpha1"),
                 crd("Promise", "platform.kratix.io", "v1alpha1", "v1"),
                 {"spec.versions[1]": "add"}),
        crd_step("update", "ServiceMonitor", crd("ServiceMonitor", "monitoring.coreos.com", "v1"),
                 crd("ServiceMonitor", "monitoring.coreos.com", "v1", schema="array"),
                 {"spec.versions[0].schema.openAPIV3Schema.type": "update"}),
        crd_step("create", "Certificate", None, crd("Certificate", "cert-manager.io", "v1")),
        crd_step("delete", "Old", crd("Old", "example.io", "v1beta1"), None),
    ))
    markdown = render(platform_preview(), stack="dev", crds=crds)
    section = markdown[markdown.index("#### CRD stack"):markdown.index("#### Platform stack")]
    assert "CRD stack `idp-crds/dev`: 1 to create, 2 to update, 1 to delete" in section
    assert ("| platform | ~ | Promise | platform.kratix.io | **v1alpha1** → v1alpha1, **v1** "
            "| version v1 added; storage version v1alpha1 → v1 |") in section
    assert "| ServiceMonitor | monitoring.coreos.com | **v1** | schema of v1 |" in section
    assert "| platform | + | Certificate | cert-manager.io | **v1** | new kind |" in section
    assert "| platform | - | Old | example.io | **v1beta1** | **deleted" in section
    # The delete is a risk, called out above everything else; no schema text anywhere.
    assert markdown.index("> [!CAUTION]") < markdown.index("#### CRD stack")
    assert "LONG SCHEMA TEXT" not in markdown and "openAPIV3Schema" not in markdown
    assert "#### Platform stack `dev`" in markdown and "1 to create" in markdown


def test_crd_creates_too_many_for_the_comment_are_counted_per_cluster_and_group():
    crds = load(stream(*(crd_step("create", f"Kind{i}", None, crd(f"Kind{i}", "big.io", "v1"))
                         for i in range(400))))
    markdown = render(platform_preview(), stack="dev", crds=crds, limit=20_000)
    assert len(markdown) <= 20_000
    assert "CRD stack `idp-crds/dev`: 400 to create" in markdown
    assert "New kinds: platform big.io (400)." in markdown


def test_an_unchanged_crd_stack_says_so_and_a_failed_one_fails_the_check(tmp_path, capsys):
    same = load(stream(crd_step("same", "Promise", crd("Promise", "platform.kratix.io", "v1"),
                                crd("Promise", "platform.kratix.io", "v1"))))
    assert "CRD stack `idp-crds/dev`: no changes (1 unchanged)" in render(
        platform_preview(), stack="dev", crds=same)
    platform = tmp_path / "platform.json"
    platform.write_text(stream(step_event(
        "create", urn("idp:platform:StateStore$kubernetes:core/v1:Namespace", "ns"),
        new=k8s("statestore"))))
    failed = tmp_path / "crds.json"
    failed.write_text(stream(crd_step("create", "Promise", None,
                                      crd("Promise", "platform.kratix.io", "v1")),
                             result="failed"))
    assert main([str(platform), "--stack", "dev", "--check"]) == 0
    assert main([str(platform), "--stack", "dev", "--check", "--crds", str(failed)]) == 1
    assert "CRD stack `idp-crds/dev`: ❌ failed" in capsys.readouterr().out
