"""Value formats of stack settings: one checker per format, shared by the config model.

A `Format` names what a setting accepts ("an https:// URL") and, for a value it refuses, says
why. The config model attaches a format to a setting (`setting(..., format=HTTPS_URL)`) and
reports, for a wrong value, one line naming the key path, showing the value and saying what is
accepted. Numbers take a `Range` instead. The checks follow the rules of the system that will
read the value (the Kubernetes API server, S3, Helm, ArgoCD, AWS IAM), so a value refused here
would have been refused there, later, at `pulumi up` or never.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import ipaddress
import re
import zoneinfo
from typing import Callable
from urllib.parse import urlsplit

SHOWN_CHARACTERS = 80


def show(value: str) -> str:
    """A value as messages quote it (long values cut)."""
    text = value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "..."
    return f"'{text}'"


@dataclasses.dataclass(frozen=True)
class Format:
    """What a string setting accepts, and why a value is refused."""

    name: str
    accepted: str
    check: Callable[[str], str | None]

    def problem(self, value: str) -> str | None:
        """The one-line problem with `value` (showing it and what is accepted), or None."""
        reason = self.check(value)
        if reason is None:
            return None
        return f"{show(value)} is not {self.name} ({reason}); accepted: {self.accepted}"

    def secret_problem(self, value: str) -> str | None:
        """The same for a secret value: what is wrong and accepted, never the value."""
        reason = self.check(value)
        if reason is None:
            return None
        return (
            f"the secret value is not {self.name} ({reason}; not shown); accepted: {self.accepted}"
        )


@dataclasses.dataclass(frozen=True)
class Range:
    """Bounds of an integer setting (inclusive; `maximum` None for no upper bound)."""

    minimum: int
    maximum: int | None = None
    unit: str = ""

    @property
    def accepted(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.maximum is None:
            return f"an integer of at least {self.minimum}{unit}"
        return f"an integer from {self.minimum} to {self.maximum}{unit}"

    def problem(self, value: int) -> str | None:
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            return f"{value} is out of range; accepted: {self.accepted}"
        return None


# ---------------------------------------------------------------------------------------------
# Kubernetes names, label keys and values (the API server's validation rules)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
LABEL_NAME_MAX = 63
_QUALIFIED = "letters, digits, '-', '_' and '.', or does not start and end with a letter or digit"


def _sized_name(
    value: str, maximum: int, pattern: re.Pattern[str], allowed: str, subject: str = "it"
) -> str | None:
    """Why `value` is longer than `maximum` or does not match `pattern` (`allowed` says what it
    may hold), or None."""
    if len(value) > maximum:
        return f"{subject} is {len(value)} characters, longer than {maximum}"
    if not pattern.match(value):
        return f"{subject} has characters other than {allowed}"
    return None


def _dns_label(value: str) -> str | None:
    if not value:
        return "it is empty"
    return _sized_name(
        value,
        DNS_LABEL_MAX,
        _DNS_LABEL,
        "lowercase letters, digits and '-', or does not start and end with a letter or digit",
    )


def _dns_subdomain(value: str) -> str | None:
    if not value:
        return "it is empty"
    return _sized_name(
        value,
        DNS_SUBDOMAIN_MAX,
        _DNS_SUBDOMAIN,
        "lowercase letters, digits, '-' and '.', or a part that does not start and end with a "
        "letter or digit",
    )


def _label_key(value: str) -> str | None:
    prefix, slash, name = value.rpartition("/")
    if slash and not prefix:
        return "the prefix before '/' is empty"
    if prefix:
        problem = _dns_subdomain(prefix)
        if problem:
            return f"its prefix '{prefix}' is not a DNS subdomain: {problem}"
    if not name:
        return "the name is empty"
    return _sized_name(name, LABEL_NAME_MAX, _QUALIFIED_NAME, _QUALIFIED, subject="the name")


def _label_value(value: str) -> str | None:
    if value == "":
        return None
    return _sized_name(value, LABEL_NAME_MAX, _QUALIFIED_NAME, _QUALIFIED)


DNS_LABEL = Format(
    "a DNS-1123 label",
    "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    _dns_label,
)
DNS_SUBDOMAIN = Format(
    "a DNS-1123 subdomain",
    "at most 253 characters: lowercase letters, digits, '-' and '.', "
    "each dot-separated part starting and ending with a letter or digit",
    _dns_subdomain,
)
LABEL_KEY = Format(
    "a Kubernetes label key",
    "[prefix/]name: an optional DNS subdomain prefix (at most 253 "
    "characters) and a name of at most 63 letters, digits, '-', '_' or '.', starting and "
    "ending with a letter or digit",
    _label_key,
)
ANNOTATION_KEY = dataclasses.replace(LABEL_KEY, name="a Kubernetes annotation key")
LABEL_VALUE = Format(
    "a Kubernetes label value",
    "empty, or at most 63 letters, digits, '-', '_' or '.', "
    "starting and ending with a letter or digit",
    _label_value,
)


def label_key_problem(key: str) -> str | None:
    return LABEL_KEY.problem(key)


def label_value_problem(value: str) -> str | None:
    return LABEL_VALUE.problem(value)


# ---------------------------------------------------------------------------------------------
# Hosts, endpoints and URLs

_HOSTNAME_LABEL = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$")


def _host(host: str) -> str | None:
    """Why `host` is neither a DNS hostname nor an IP address, or None."""
    if not host:
        return "the host is empty"
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"'{host}' is not an IPv6 address"
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if len(host) > DNS_SUBDOMAIN_MAX:
        return "the host is longer than 253 characters"
    if not all(
        _HOSTNAME_LABEL.match(part) and len(part) <= DNS_LABEL_MAX for part in host.split(".")
    ):
        return f"'{host}' is not a hostname (letters, digits and '-' in dot-separated parts)"
    return None


def _port(text: str) -> str | None:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        return f"port '{text}' is not a number from 1 to 65535"
    return None


def _split_host_port(value: str) -> tuple[str, str | None]:
    if value.startswith("["):
        host, _, rest = value.partition("]")
        host += "]"
        return host, rest[1:] if rest.startswith(":") else (rest or None)
    host, colon, port = value.rpartition(":")
    if not colon:
        return value, None
    return host, port


def _host_port(value: str, port_required: bool) -> str | None:
    if "://" in value:
        return "it has a scheme"
    if "/" in value:
        return "it has a path"
    if any(c.isspace() for c in value):
        return "it has spaces"
    host, port = _split_host_port(value)
    if port is None:
        if port_required:
            return "it has no port"
        return _host(host)
    return _host(host) or _port(port)


def _hostname(value: str) -> str | None:
    if "://" in value:
        return "it has a scheme"
    if "/" in value:
        return "it has a path"
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    if ":" in value:
        return "it has a port"
    return _host(value)


HOST = Format(
    "a hostname",
    "a DNS name or IP address, without scheme, port or path (for example db.example.com)",
    _hostname,
)
HOST_PORT = Format(
    "a host[:port] endpoint",
    "host or host:port without scheme or path "
    "(for example s3.eu-west-1.amazonaws.com or minio.example.com:9000)",
    lambda value: _host_port(value, port_required=False),
)
HOST_AND_PORT = Format(
    "a host:port endpoint",
    "host:port without scheme or path (for example otlp.platform.example.com:4317)",
    lambda value: _host_port(value, port_required=True),
)


def _url(value: str, schemes: tuple[str, ...], loopback_http: bool = False) -> str | None:
    if any(c.isspace() for c in value):
        return "it has spaces"
    if "://" not in value:
        return "it has no scheme"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return str(error)
    scheme = parts.scheme.lower()
    if scheme == "http" and loopback_http and parts.hostname in ("localhost", "127.0.0.1"):
        pass
    elif scheme not in schemes:
        return f"scheme {scheme}:// is not accepted here"
    if not parts.hostname:
        return "it has no host"
    problem = _host(parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]")
    if problem:
        return problem
    if port is not None and not 1 <= port <= 65535:
        return f"port {port} is out of range"
    return None


HTTPS_URL = Format(
    "an https:// URL", "https://host[:port][/path]", lambda value: _url(value, ("https",))
)
OIDC_ISSUER = dataclasses.replace(
    HTTPS_URL,
    name="an OIDC issuer URL",
    accepted="https://host[/path] (for example https://token.actions.githubusercontent.com)",
)
OIDC_METADATA_URL = Format(
    "an OIDC discovery URL",
    "https://host[/path]/.well-known/openid-configuration",
    lambda value: (
        _url(value, ("https",))
        or (
            None
            if urlsplit(value).path.rstrip("/").endswith("/.well-known/openid-configuration")
            else "its path does not end with /.well-known/openid-configuration"
        )
    ),
)
API_SERVER_URL = dataclasses.replace(
    HTTPS_URL,
    name="a Kubernetes API server URL",
    accepted="https://host[:port] (for example https://prod-eu-west-1.k8s.example.com)",
)
PORTAL_URL = Format(
    "a portal URL",
    "https://host[:port][/path], or http://localhost[:port] for a local portal",
    lambda value: _url(value, ("https",), loopback_http=True),
)
CHART_REPOSITORY = Format(
    "a Helm repository URL",
    "https://..., http://... or oci://host/path",
    lambda value: _url(value, ("https", "http", "oci")),
)


def _chart_mirror(value: str) -> str | None:
    if value == "" or "://" not in value:
        return None if not any(c.isspace() for c in value) else "it has spaces"
    return _url(value, ("https", "http", "oci"))


CHART_MIRROR = Format(
    "a chart mirror",
    "empty (no mirror), oci://host/path, https://... or "
    "http://... (a Helm repository), or a local directory",
    _chart_mirror,
)


def _runbook_url(value: str) -> str | None:
    if "://" in value:
        return _url(value, ("https", "http"))
    if (
        not value
        or value.startswith("/")
        or ".." in value.split("/")
        or any(c.isspace() for c in value)
    ):
        return "it is neither an http(s):// URL nor a relative path in the repository"
    return None


RUNBOOK_URL = Format(
    "a runbook location",
    "an https:// (or http://) URL, or a path relative to the repository such as docs/runbooks.md",
    _runbook_url,
)

_SCP_GIT = re.compile(r"^[A-Za-z0-9_.-]+@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^\s]+)$")


def _git_url(value: str) -> str | None:
    if "://" not in value:
        match = _SCP_GIT.match(value)
        if not match:
            return "it is neither a URL nor git@host:path"
        return _host(match["host"])
    return _url(value, ("https", "ssh"))


GIT_URL = Format(
    "a Git repository URL",
    "https://host/path, ssh://[user@]host[:port]/path or git@host:path",
    _git_url,
)


def git_url_is_ssh(value: str) -> bool:
    return value.startswith("ssh://") or bool(_SCP_GIT.match(value))


# ---------------------------------------------------------------------------------------------
# Git references, paths

_GIT_REF_FORBIDDEN = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]")


def _git_ref(value: str) -> str | None:
    """git check-ref-format's rules for a branch or tag name (or a commit SHA)."""
    if not value:
        return "it is empty"
    if _GIT_REF_FORBIDDEN.search(value):
        return "it has a space or one of ~ ^ : ? * [ \\"
    if ".." in value or "@{" in value or "//" in value:
        return "it has '..', '@{' or '//'"
    if value.startswith(("/", ".", "-")) or value.endswith(("/", ".", ".lock")):
        return "it starts with '/', '.' or '-', or ends with '/', '.' or '.lock'"
    if any(part.startswith(".") for part in value.split("/")):
        return "a part starts with '.'"
    return None


GIT_REF = Format(
    "a Git branch, tag or commit",
    "a name git accepts (no spaces, '..', ~ ^ : ? * [ \\, not starting or ending with '/' or '.')",
    _git_ref,
)


def _relative_path(value: str) -> str | None:
    if value.startswith("/"):
        return "it is absolute"
    if ".." in value.split("/"):
        return "it has '..'"
    if any(c.isspace() for c in value) or "\\" in value:
        return "it has spaces or backslashes"
    return None


RELATIVE_PATH = Format(
    "a relative folder",
    "a folder relative to the repository or bucket "
    "root, '/'-separated, without '..' (empty for the root)",
    _relative_path,
)


# ---------------------------------------------------------------------------------------------
# S3, container images, AWS

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _s3_bucket(value: str) -> str | None:
    """The S3 general purpose bucket naming rules (MinIO applies the same)."""
    if not 3 <= len(value) <= 63:
        return f"it is {len(value)} characters, not 3 to 63"
    if not _S3_BUCKET.match(value):
        return (
            "it has characters other than lowercase letters, digits, '.' and '-', or does "
            "not start and end with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        return "it has two adjacent periods or a period next to a hyphen"
    try:
        ipaddress.IPv4Address(value)
        return "it is formatted as an IP address"
    except ValueError:
        pass
    if value.startswith(_S3_RESERVED_PREFIXES) or value.endswith(_S3_RESERVED_SUFFIXES):
        return (
            "it uses a prefix or suffix S3 reserves (xn--, sthree-, amzn-s3-demo-, "
            "-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)"
        )
    return None


S3_BUCKET = Format(
    "an S3 bucket name",
    "3 to 63 lowercase letters, digits, '.' and '-', "
    "starting and ending with a letter or digit, no '..', not an IP address",
    _s3_bucket,
)

# The distribution spec's grammar: registry host[:port], lowercase path components, a tag, a
# digest.
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$")


def _registry_path(value: str) -> str | None:
    """Why `value` is not registry-host[:port][/path] (no scheme, tag or digest), or None."""
    if not value:
        return "it is empty"
    if "://" in value:
        return "it has a scheme"
    if "@" in value:
        return "it has a digest"
    host, _, path = value.partition("/")
    if ":" in host.strip("[]") and not host.startswith("["):
        name, _, port = host.rpartition(":")
        problem = _host(name) or _port(port)
    else:
        problem = _host(host)
    if problem:
        return f"registry host: {problem}"
    for component in path.split("/") if path else ():
        if ":" in component:
            return "it has a tag"
        if not _PATH_COMPONENT.match(component):
            return (
                f"path component '{component}' is not lowercase letters and digits "
                "separated by '.', '_' or '-'"
            )
    return None


REGISTRY = Format(
    "a registry and path",
    "registry-host[:port][/path] without scheme, tag or digest (for example ghcr.io/acme)",
    _registry_path,
)


def _split_image(value: str) -> tuple[str, str | None, str | None]:
    name, _, digest = value.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, _, tag = name.rpartition(":")
    return name, tag, digest or None


def _image(value: str, digest_required: bool) -> str | None:
    if not value:
        return "it is empty"
    if "://" in value:
        return "it has a scheme"
    name, tag, digest = _split_image(value)
    if (
        "/" not in name
        or "." not in name.split("/")[0]
        and ":" not in name.split("/")[0]
        and name.split("/")[0] != "localhost"
    ):
        return "it does not start with a registry host (for example docker.io/)"
    problem = _registry_path(name)
    if problem:
        return problem
    if tag is not None and not _TAG.match(tag):
        return f"tag '{tag}' is not a valid tag"
    if digest is not None and not _DIGEST.match(digest):
        return f"digest '{digest}' is not sha256:<64 hex digits>"
    if digest_required and digest is None:
        return "it is not pinned by digest"
    if tag is None and digest is None:
        return "it has neither a tag nor a digest"
    if tag == "latest" and digest is None:
        return "the tag 'latest' moves"
    return None


IMAGE = Format(
    "a pinned image reference",
    "registry/path:tag or registry/path@sha256:<digest> (a tag other than latest, or a digest)",
    lambda value: _image(value, digest_required=False),
)
IMAGE_BY_DIGEST = Format(
    "an image reference pinned by digest",
    "registry/path[:tag]@sha256:<64 hex digits>",
    lambda value: _image(value, digest_required=True),
)

_ROLE_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::(?P<account>\d{12}):role"
    r"(?P<path>/([\x21-\x7e]+/)?)(?P<name>[\w+=,.@-]{1,64})$"
)


def _iam_role_arn(value: str) -> str | None:
    if not value.startswith("arn:"):
        return "it does not start with arn:"
    if not _ROLE_ARN.match(value):
        return "it is not arn:<partition>:iam::<12-digit account>:role/[path/]<name>"
    return None


IAM_ROLE_ARN = Format(
    "an IAM role ARN",
    "arn:aws:iam::<12-digit account id>:role/[path/]<name> "
    "(name at most 64 of letters, digits and +=,.@_-)",
    _iam_role_arn,
)
# The annotation whose value EKS reads as the IAM role of a ServiceAccount (IRSA).
EKS_ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
SERVICE_ACCOUNT_ANNOTATION_VALUES = {EKS_ROLE_ARN_ANNOTATION: IAM_ROLE_ARN}


# ---------------------------------------------------------------------------------------------
# Times, schedules, versions, small texts

_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def _duration(value: str) -> str | None:
    """Go's time.ParseDuration (what ArgoCD parses sync window durations with), positive."""
    if not _DURATION.match(value):
        return "it is not a number with a unit, such as 30m, 3h or 1h30m"
    if all(float(n) == 0 for n in re.findall(r"\d+(?:\.\d+)?", value)):
        return "it is zero"
    return None


DURATION = Format(
    "a duration",
    "a positive Go duration: numbers with units ns, us, ms, s, m, h (for example 90m, 3h, 1h30m)",
    _duration,
)

_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_DESCRIPTORS = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)


def _cron_number(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.lower() in names:
        return names.index(text.lower()) + (1 if low == 1 else 0)
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


def _cron_field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            return f"{name} step '{step}' is not a positive number"
        if base == "*" or (base == "?" and name.startswith("day")):
            continue
        start, dash, end = base.partition("-")
        first = _cron_number(start, low, high, names)
        last = _cron_number(end, low, high, names) if dash else first
        if first is None or last is None:
            return f"{name} '{item}' is not {low}-{high}, a range, a list or *"
        if last < first:
            return f"{name} range '{base}' runs backwards"
    return None


def _cron(value: str) -> str | None:
    """The standard 5-field cron (minute hour day-of-month month day-of-week) or a descriptor,
    as ArgoCD's sync windows parse it."""
    if value.strip() in _CRON_DESCRIPTORS:
        return None
    fields = value.split()
    if len(fields) != 5:
        return f"it has {len(fields)} fields, not 5"
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field(text, name, low, high, names)
        if problem:
            return problem
    return None


CRON = Format(
    "a cron schedule",
    "five fields: minute hour day-of-month month day-of-week "
    "(for example '0 7 * * 1-5'), or @daily, @weekly, @monthly, @yearly, @hourly",
    _cron,
)


def _time_zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "it is not in the IANA time zone database"
    return None


TIME_ZONE = Format(
    "a time zone", "an IANA time zone name (for example UTC, Europe/Berlin)", _time_zone
)


def _iso_date(value: str) -> str | None:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return "it is not a calendar date"
    return None if len(value) == 10 else "it is not written YYYY-MM-DD"


ISO_DATE = Format("a date", "YYYY-MM-DD (for example 2026-11-30)", _iso_date)

_CHART_VERSION = re.compile(r"^v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
CHART_VERSION = Format(
    "a chart version",
    "a SemVer version such as 1.19.1 or v1.19.1 (Helm does not accept ranges here)",
    lambda value: None if _CHART_VERSION.match(value) else "it is not a SemVer version",
)

CURRENCY = Format(
    "a currency code",
    "an ISO 4217 code of three capital letters (for example USD, EUR)",
    lambda value: None if re.fullmatch(r"[A-Z]{3}", value) else "it is not three capital letters",
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL = Format(
    "an email address",
    "empty, or name@domain",
    lambda value: None if value == "" or _EMAIL.match(value) else "it is not name@domain",
)


def _not_blank(value: str) -> str | None:
    if not value.strip():
        return "it is empty"
    if value != value.strip():
        return "it has leading or trailing spaces"
    return None


NAME = Format("a name", "a non-empty text without leading or trailing spaces", _not_blank)


def _base64_pem(value: str) -> str | None:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "it is not base64"
    if b"-----BEGIN CERTIFICATE-----" not in decoded:
        return "it does not decode to a PEM certificate"
    return None


BASE64_PEM = Format(
    "a base64 PEM CA bundle",
    "the base64 encoding of one or more PEM "
    "certificates (as in a kubeconfig's certificate-authority-data)",
    _base64_pem,
)
PEM_PUBLIC_KEY = Format(
    "a PEM public key",
    "-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----",
    lambda value: (
        None
        if value.strip().startswith("-----BEGIN PUBLIC KEY-----")
        and value.strip().endswith("-----END PUBLIC KEY-----")
        else "it has no PEM public key block"
    ),
)

_PRIVATE_KEY_BEGIN = re.compile(r"^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----$")
_PRIVATE_KEY_END = re.compile(r"^-----END ([A-Z]+ )?PRIVATE KEY-----$")


def _ssh_private_key(value: str) -> str | None:
    lines = [line.strip() for line in value.strip().splitlines()]
    if not lines or not _PRIVATE_KEY_BEGIN.match(lines[0]):
        return "it does not begin with -----BEGIN ... PRIVATE KEY-----"
    if not _PRIVATE_KEY_END.match(lines[-1]):
        return "it does not end with -----END ... PRIVATE KEY-----"
    return None


SSH_PRIVATE_KEY = Format(
    "an SSH private key",
    "the key file's contents, from -----BEGIN ... "
    "PRIVATE KEY----- to -----END ... PRIVATE KEY-----",
    _ssh_private_key,
)
_HOST_KEY_TYPE = re.compile(r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+)$")


def _known_hosts(value: str) -> str | None:
    entries = [
        line.split()
        for line in value.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not entries:
        return "it has no host key line"
    for fields in entries:
        if fields[0].startswith("@"):  # @cert-authority / @revoked marker
            fields = fields[1:]
        if len(fields) < 3 or not _HOST_KEY_TYPE.match(fields[1]):
            return "a line is not `host key-type key`"
    return None


KNOWN_HOSTS = Format(
    "a known_hosts file",
    "lines of `host key-type base64-key` (ssh-keyscan "
    "output), for example `git.example.com ssh-ed25519 AAAA...`",
    _known_hosts,
)
# Secret credentials with a known format, by key (state stores and the GitOps repository).
SECRET_FORMATS = {"sshPrivateKey": SSH_PRIVATE_KEY, "knownHosts": KNOWN_HOSTS}

PERCENT = Range(1, 100, "(percent)")
PERCENT_OR_ZERO = Range(0, 100, "(percent)")
PORT = Range(1, 65535)
POSITIVE = Range(1)
NON_NEGATIVE = Range(0)
