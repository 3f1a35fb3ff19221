"""Each value format accepts what the system reading the value accepts, and refuses the rest;
every shipped stack and every documented example still validates."""

from __future__ import annotations

import re

import pytest
import yaml

from components import formats as fmt
from components.configschema import ConfigError
from tests.harness import REPO, parse_test_config, stack_config, stack_file_config

# Each format class: (format, values it accepts, values it refuses).
# Values a user might type, only ever parsed as strings: the private addresses below are example
# config checked for their format, never listened on or dialled.
TABLE = {
    "dns-label": (fmt.DNS_LABEL, ["a", "platform", "prod-eu-west-1", "a" * 63],
                  ["", "Platform", "-a", "a-", "a_b", "a.b", "a" * 64]),
    "dns-subdomain": (fmt.DNS_SUBDOMAIN, ["kubecost-store", "a.b-c.d", "a" * 253],
                      ["", "A.b", "a..b", ".a", "a" * 254]),
    "label-key": (fmt.LABEL_KEY, ["tier", "app.kubernetes.io/name", "idp-as-code.io/team",
                                  "A_b.c", "x" * 63, f"{'a' * 253}/n"],
                  ["", "/tier", "tier/", "Example.com/x", "-tier", "x" * 64,
                   f"{'a' * 254}/n", "a b", "a/b/c"]),
    "label-value": (fmt.LABEL_VALUE, ["", "prod", "eu-west-1", "A_b.1", "x" * 63],
                    ["-bad-", "R&D", "a b", "x" * 64, "a@b.com"]),
    "https-url": (fmt.HTTPS_URL, ["https://git.example.com/x", "https://10.0.0.1:8443"],
                  ["http://git.example.com", "git.example.com", "https://", "ftp://x",
                   "https://bad_host/x", "https://a b"]),
    "api-server": (fmt.API_SERVER_URL, ["https://prod.k8s.example.com",
                                        "https://[2001:db8::1]:6443"],
                   ["prod.k8s.example.com", "http://prod.k8s.example.com", "https://x:99999"]),
    "oidc-issuer": (fmt.OIDC_ISSUER, ["https://token.actions.githubusercontent.com"],
                    ["token.actions.githubusercontent.com", "http://issuer.example.com"]),
    "oidc-metadata": (fmt.OIDC_METADATA_URL,
                      ["https://login.example.com/.well-known/openid-configuration",
                       "https://login.example.com/realms/x/.well-known/openid-configuration"],
                      ["https://login.example.com", "http://login.example.com/.well-known/"
                       "openid-configuration"]),
    "portal-url": (fmt.PORTAL_URL, ["https://portal.example.com", "http://localhost:7007",
                                    "http://127.0.0.1:7007"],
                   ["http://portal.example.com", "portal.example.com", "localhost:7007"]),
    "git-url": (fmt.GIT_URL, ["https://git.example.com/platform/x.git",
                              "ssh://git@git.example.com:2222/platform/x.git",
                              "git@github.com:acme/idp-gitops.git"],
                ["git.example.com/platform/x", "http://git.example.com/x", "file:///srv/x",
                 "git@github.com", "git@:x"]),
    "chart-repository": (fmt.CHART_REPOSITORY, ["https://charts.jetstack.io",
                                                "oci://ghcr.io/acme/charts",
                                                "http://charts.internal:8080"],
                         ["charts.jetstack.io", "s3://bucket/charts"]),
    "chart-mirror": (fmt.CHART_MIRROR, ["", "oci://registry.example.com/charts",
                                        "https://charts.example.com", "tests/fixtures/charts",
                                        "/srv/charts"],
                     ["ftp://charts.example.com", "s3://bucket"]),
    "runbook": (fmt.RUNBOOK_URL, ["docs/runbooks.md", "https://git.example.com/runbooks.md"],
                ["", "/docs/runbooks.md", "../runbooks.md", "ftp://x/y"]),
    "host-port": (fmt.HOST_PORT, ["s3.eu-west-1.amazonaws.com", "minio.example.com:9000",
                                  "10.0.0.5:9000", "[2001:db8::1]:9000"],
                  ["", "https://s3.amazonaws.com", "s3.amazonaws.com/bucket", "minio:0",
                   "minio:http", "bad_host:9000"]),
    "host-and-port": (fmt.HOST_AND_PORT, ["otlp.platform.example.com:4317", "10.1.2.3:4317"],
                      ["otlp.platform.example.com", "https://otlp.example.com:4317",
                       "otlp:65536"]),
    "host": (fmt.HOST, ["db.example.com", "10.0.0.7", "2001:db8::7"],
             ["", "postgres://db.example.com", "db.example.com:5432", "db/x", "db_x"]),
    "s3-bucket": (fmt.S3_BUCKET, ["kratix", "acme-idp-kratix-state", "a.b.c", "abc"],
                  ["ab", "a" * 64, "Kratix", "my_bucket", "-kratix", "kratix-", "a..b",
                   "a.-b", "192.168.5.4", "xn--abc", "sthree-x", "bucket-s3alias",
                   "bucket--ol-s3"]),
    "registry": (fmt.REGISTRY, ["docker.io", "ghcr.io/acme/promises", "registry.k8s.io",
                                "registry.example.com:5000/platform"],
                 ["", "https://ghcr.io/acme", "ghcr.io/acme/promises:1.0",
                  "ghcr.io/acme@sha256:" + "a" * 64, "ghcr.io/Acme", "bad_host"]),
    "image": (fmt.IMAGE, ["ghcr.io/backstage/backstage:1.45.0",
                          "registry.example.com:5000/platform/backstage:1.0.0",
                          "docker.io/library/nginx@sha256:" + "a" * 64],
              ["", "backstage:1.45.0", "ghcr.io/backstage/backstage",
               "ghcr.io/backstage/backstage:latest", "https://ghcr.io/backstage/backstage:1",
               "ghcr.io/Backstage/backstage:1", "ghcr.io/backstage/backstage@sha256:abc"]),
    "image-by-digest": (fmt.IMAGE_BY_DIGEST,
                        ["docker.io/syntasso/kratix-platform@sha256:" + "e" * 64],
                        ["docker.io/syntasso/kratix-platform:v0.1.0",
                         "docker.io/syntasso/kratix-platform@sha256:xyz"]),
    "iam-role-arn": (fmt.IAM_ROLE_ARN, ["arn:aws:iam::123456789012:role/idp-argocd",
                                        "arn:aws:iam::123456789012:role/service/idp-portal",
                                        "arn:aws-cn:iam::123456789012:role/x"],
                     ["idp-argocd", "arn:aws:iam::1234:role/x",
                      "arn:aws:iam::123456789012:user/x", "arn:aws:s3:::bucket",
                      "arn:aws:iam::123456789012:role/" + "r" * 65]),
    "duration": (fmt.DURATION, ["3h", "90m", "1h30m", "1.5h", "45s"],
                 ["", "3", "3 hours", "0h", "-1h", "3d"]),
    "cron": (fmt.CRON, ["0 7 * * 1-5", "*/15 * * * *", "0 0 1 jan,jul *", "30 22 * * sun",
                        "@daily"],
             ["", "0 7 * *", "60 7 * * *", "0 24 * * *", "0 7 * * 1-9", "0 7 * * 5-1",
              "0 7 * * */0", "every day"]),
    "time-zone": (fmt.TIME_ZONE, ["UTC", "Europe/Berlin", "America/New_York"],
                  ["", "CEST+2", "Mars/Olympus"]),
    "iso-date": (fmt.ISO_DATE, ["2026-11-30"], ["30/11/2026", "2026-02-30", "20261130"]),
    "git-ref": (fmt.GIT_REF, ["main", "v1.0.0", "release/2026-12", "3f2a9c1"],
                ["", "my branch", "a..b", "feature/", "-x", "x.lock", "a:b"]),
    "relative-path": (fmt.RELATIVE_PATH, ["", "platform", "prod/eu-west-1", "prod/eu-west-1/"],
                      ["/platform", "../x", "a/../b", "a b"]),
    "chart-version": (fmt.CHART_VERSION, ["1.19.1", "v1.19.1", "v9", "2.8.2-rc.1"],
                      ["", "latest", "~1.2", ">=1.0", "1.x"]),
    "currency": (fmt.CURRENCY, ["USD", "EUR"], ["usd", "US", "DOLLAR", ""]),
    "email": (fmt.EMAIL, ["", "kratix@example.com"], ["kratix", "a@b", "a b@example.com"]),
    "name": (fmt.NAME, ["platform-admins", "idp portal"], ["", "  ", " x", "x "]),
    "base64-pem": (fmt.BASE64_PEM,
                   ["LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0t"
                    "LQo="],
                   ["not base64!", "aGVsbG8="]),
    "ssh-private-key": (fmt.SSH_PRIVATE_KEY,
                        ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n",
                         "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"],
                        ["", "ssh-ed25519 AAAA", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl"]),
    "known-hosts": (fmt.KNOWN_HOSTS, ["git.example.com ssh-ed25519 AAAAC3",
                                      "# github\ngithub.com ecdsa-sha2-nistp256 AAAAE2\n"
                                      "[git.example.com]:2222 ssh-rsa AAAAB3"],
                    ["", "git.example.com", "git.example.com AAAAC3 ssh-ed25519"]),
    "pem-public-key": (fmt.PEM_PUBLIC_KEY,
                       ["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"],
                       ["-----BEGIN", "ssh-rsa AAAA"]),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_format_accepts_and_refuses(name):
    format_, accepted, refused = TABLE[name]
    for value in accepted:
        assert format_.problem(value) is None, f"{name} refused {value!r}: {format_.problem(value)}"
    for value in refused:
        problem = format_.problem(value)
        assert problem is not None, f"{name} accepted {value!r}"
        assert problem.startswith(f"'{value[:fmt.SHOWN_CHARACTERS]}"), problem
        assert f"accepted: {format_.accepted}" in problem, problem


@pytest.mark.parametrize("range_, accepted, refused", [
    (fmt.PERCENT, [1, 50, 100], [0, 101, -5]),
    (fmt.PORT, [1, 5432, 65535], [0, 65536]),
    (fmt.POSITIVE, [1, 10_000], [0, -1]),
    (fmt.NON_NEGATIVE, [0, 7], [-1]),
])
def test_ranges_accept_and_refuse(range_, accepted, refused):
    for value in accepted:
        assert range_.problem(value) is None, value
    for value in refused:
        problem = range_.problem(value)
        assert problem and problem.startswith(f"{value} is out of range; accepted: "), problem


def test_long_values_are_cut_in_messages():
    problem = fmt.DNS_LABEL.problem("x" * 200)
    assert problem and "x" * 81 not in problem and "..." in problem


# -- the shipped stacks and the documented examples ------------------------------------------


def test_every_shipped_stack_validates():
    for stack in ("dev", "prod"):
        parse_test_config(stack_file_config(stack), stack)


def _documented_examples() -> list[tuple[str, dict]]:
    """Every ```yaml block in the README and docs/ that sets `idp:*` keys."""
    examples = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S)):
            data = yaml.safe_load(_dedent(block))
            if isinstance(data, dict) and "config" in data:
                data = data["config"]
            if isinstance(data, dict) and any(str(k).startswith("idp:") for k in data):
                examples.append((f"{page.relative_to(REPO)}#{i}", data))
    return examples


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def test_there_are_documented_examples_to_check():
    assert _documented_examples()


@pytest.mark.parametrize("where, example", _documented_examples(),
                         ids=[w for w, _ in _documented_examples()])
def test_every_documented_example_validates_on_a_shipped_stack(where, example):
    """Each example, set over the dev or the prod stack file (whichever it is written for),
    makes a valid stack."""
    errors = []
    for stack in ("dev", "prod"):
        config = stack_config(stack, **{key.split(":", 1)[1]: value
                                        for key, value in example.items()})
        try:
            parse_test_config(config, stack)
            return
        except ConfigError as error:
            errors.append(f"{stack}: {error}")
    pytest.fail(f"{where} validates on no shipped stack:\n" + "\n".join(errors))
