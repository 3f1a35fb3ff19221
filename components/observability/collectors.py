"""The OpenTelemetry collectors' configs and chart values (node agent, gateway, cluster
collector), the operator's values, the `Instrumentation` and the pod monitors.
"""

from __future__ import annotations

from components import charts, naming
from components.naming import ARGOCD_NAMESPACE, CERT_MANAGER_NAMESPACE
from components.observability.names import (
    AGENT_NAME,
    CLUSTER_COLLECTOR_NAME,
    COLLECTOR_METRICS_PORT,
    COLLECTOR_UID,
    ENDPOINTS,
    GATEWAY_NAME,
    NAMESPACE,
    OTEL_OPERATOR_NAME,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    TEMPO_NAME,
    service_address,
)
from components.observability.settings import Observability
from components.observability.sizes import SIZES
from components.profiles import Footprint, SizeProfile

# -- OpenTelemetry --------------------------------------------------------------------------------


def collector_base(name: str, mode: str, footprint: Footprint, *, root: bool = False) -> dict:
    """Values every collector release shares: the pinned contrib image, names, footprint, and
    a locked-down container (root only where it must read root-owned host files)."""
    repository, tag = charts.IMAGES["otel-collector"].rsplit(":", 1)
    user = 0 if root else COLLECTOR_UID
    return {
        "securityContext": {
            "runAsUser": user,
            "runAsGroup": user,
            "runAsNonRoot": not root,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "mode": mode,
        "nameOverride": name,
        "fullnameOverride": name,
        # The chart no longer defaults the image; contrib has every component used here.
        "image": {"repository": repository, "tag": tag},
        "command": {"name": "otelcol-contrib"},
        "resources": footprint.resources(),
        "useGOMEMLIMIT": True,
        "ports": {
            "metrics": {
                "enabled": True,
                "containerPort": COLLECTOR_METRICS_PORT,
                "servicePort": COLLECTOR_METRICS_PORT,
                "protocol": "TCP",
            }
        },
    }


def otlp_receiver() -> dict:
    return {
        "protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
        }
    }


def self_metrics_receiver(name: str) -> dict:
    """The collector scrapes its own telemetry and sends it down its metrics pipeline, so
    collectors on workers report their health too."""
    return {
        "config": {
            "scrape_configs": [
                {
                    "job_name": name,
                    "scrape_interval": "30s",
                    "static_configs": [
                        {"targets": [f"${{env:MY_POD_IP}}:{COLLECTOR_METRICS_PORT}"]}
                    ],
                }
            ]
        }
    }


MEMORY_LIMITER = {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}
BATCH = {"send_batch_size": 8192, "timeout": "5s"}


def cluster_resource(cluster: str) -> dict:
    return {"attributes": [{"key": "k8s.cluster.name", "value": cluster, "action": "upsert"}]}


def otlp_exporter(endpoint: str, tls: bool) -> dict:
    return {
        "endpoint": endpoint,
        "tls": {"insecure": not tls},
        "sending_queue": {"enabled": True},
        "retry_on_failure": {"enabled": True},
    }


def pipeline(receivers: list[str], processors: list[str], exporters: list[str]) -> dict:
    return {"receivers": receivers, "processors": processors, "exporters": exporters}


HEALTH_CHECK_PORT = 13133


def collector_config(config: dict) -> dict:
    """A whole collector config, as the chart's `alternateConfig`: what we write is what runs.

    The chart's `config` is merged over its defaults (jaeger, zipkin and prometheus receivers,
    a debug exporter), which only a `null` can delete, and Pulumi's Python SDK drops `null`s
    from values before Helm sees them. So the config is complete here, with what the chart's
    defaults provided that the pods need: the health_check extension its probes call, and the
    collector's own metrics on COLLECTOR_METRICS_PORT (scraped by `prometheus/self`)."""
    return {
        **config,
        "extensions": {"health_check": {"endpoint": f"${{env:MY_POD_IP}}:{HEALTH_CHECK_PORT}"}},
        "service": {
            **config["service"],
            "extensions": ["health_check"],
            "telemetry": {
                "metrics": {
                    "readers": [
                        {
                            "pull": {
                                "exporter": {
                                    "prometheus": {
                                        "host": "${env:MY_POD_IP}",
                                        "port": COLLECTOR_METRICS_PORT,
                                    }
                                }
                            }
                        }
                    ]
                }
            },
        },
    }


def agent_values(profile: SizeProfile, cluster: str, gateway: str, gateway_tls: bool) -> dict:
    """The node agent: OTLP from pods on the node, host and kubelet metrics, container logs;
    everything enriched with Kubernetes metadata and sent to the gateway."""
    node_env = {"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    # The current names: the chart rewrites the old ones (filelog, k8sattributes) for now.
    processors = ["memory_limiter", "k8s_attributes", "resource/cluster", "batch"]
    config = {
        "receivers": {
            "otlp": otlp_receiver(),
            "prometheus/self": self_metrics_receiver(AGENT_NAME),
            "hostmetrics": {
                "root_path": "/hostfs",
                "collection_interval": "30s",
                "scrapers": {
                    s: {} for s in ("cpu", "memory", "load", "disk", "filesystem", "network")
                },
            },
            "kubeletstats": {
                "collection_interval": "30s",
                "auth_type": "serviceAccount",
                "endpoint": "https://${env:K8S_NODE_NAME}:10250",
                # Kubelet serving certificates are self-signed on most clusters.
                "insecure_skip_verify": True,
            },
            "file_log": {
                "include": ["/var/log/pods/*/*/*.log"],
                # The collectors' own logs would loop through themselves.
                "exclude": [f"/var/log/pods/{NAMESPACE}_otel-*/*/*.log"],
                "start_at": "end",
                "include_file_path": True,
                "operators": [{"type": "container", "id": "container-parser"}],
            },
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "k8s_attributes": {
                "filter": {"node_from_env_var": "K8S_NODE_NAME"},
                "extract": {
                    "metadata": [
                        "k8s.namespace.name",
                        "k8s.pod.name",
                        "k8s.deployment.name",
                        "k8s.node.name",
                        "k8s.container.name",
                    ]
                },
            },
            "resource/cluster": cluster_resource(cluster),
            "batch": BATCH,
        },
        "exporters": {"otlp/gateway": otlp_exporter(gateway, gateway_tls)},
        "service": {
            "pipelines": {
                "traces": pipeline(["otlp"], processors, ["otlp/gateway"]),
                "metrics": pipeline(
                    ["otlp", "hostmetrics", "kubeletstats", "prometheus/self"],
                    processors,
                    ["otlp/gateway"],
                ),
                "logs": pipeline(["otlp", "file_log"], processors, ["otlp/gateway"]),
            }
        },
    }
    return {
        # Root: the kubelet writes pod logs root-owned and not world-readable.
        **collector_base(AGENT_NAME, "daemonset", SIZES[profile.name].collector_agent, root=True),
        "alternateConfig": collector_config(config),
        # Pods on a node reach the agent on that node.
        "service": {"enabled": True, "internalTrafficPolicy": "Local"},
        "extraEnvs": [node_env],
        "extraVolumes": [host_path("hostfs", "/"), host_path("varlogpods", "/var/log/pods")],
        "extraVolumeMounts": [
            {
                "name": "hostfs",
                "mountPath": "/hostfs",
                "readOnly": True,
                "mountPropagation": "HostToContainer",
            },
            {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
        ],
        "clusterRole": {
            "create": True,
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "namespaces", "nodes", "nodes/stats", "nodes/proxy"],
                    "verbs": ["get", "list", "watch"],
                },
                {
                    "apiGroups": ["apps"],
                    "resources": ["replicasets", "deployments"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        },
    }


def host_path(name: str, path: str) -> dict:
    return {"name": name, "hostPath": {"path": path}}


def gateway_values(profile: SizeProfile, settings: Observability) -> dict:
    """The gateway: span metrics from every span, then tail sampling, then the backends."""
    o = SIZES[profile.name]
    config = {
        "receivers": {
            "otlp": otlp_receiver(),
            "prometheus/self": self_metrics_receiver(GATEWAY_NAME),
        },
        "connectors": {
            # RED metrics for every service: traces_span_metrics_calls_total and
            # traces_span_metrics_duration_milliseconds_* in Prometheus.
            "spanmetrics": {
                "namespace": "traces.span.metrics",
                "histogram": {
                    "unit": "ms",
                    "explicit": {
                        "buckets": [
                            "5ms",
                            "10ms",
                            "25ms",
                            "50ms",
                            "100ms",
                            "250ms",
                            "500ms",
                            "1s",
                            "2500ms",
                            "5s",
                            "10s",
                        ]
                    },
                },
                "dimensions": [
                    {"name": "http.request.method"},
                    {"name": "http.response.status_code"},
                ],
                "exemplars": {"enabled": True},
                "metrics_flush_interval": "15s",
            },
            "forward/sampling": {},
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "batch": BATCH,
            "tail_sampling": {
                "decision_wait": "10s",
                "num_traces": o.tail_sampling_traces,
                "policies": [
                    {
                        "name": "errors",
                        "type": "status_code",
                        "status_code": {"status_codes": ["ERROR"]},
                    },
                    {
                        "name": "slow",
                        "type": "latency",
                        "latency": {"threshold_ms": settings.latency_threshold_ms},
                    },
                    {
                        "name": "sample",
                        "type": "probabilistic",
                        "probabilistic": {"sampling_percentage": settings.trace_sample_percent},
                    },
                ],
            },
        },
        "exporters": {
            "otlp/tempo": otlp_exporter(service_address(TEMPO_NAME, OTLP_GRPC_PORT), tls=False),
            "prometheusremotewrite": {
                "endpoint": f"{ENDPOINTS['prometheus']}/api/v1/write",
                # service.name, k8s.cluster.name, ... become labels (service_name, ...).
                "resource_to_telemetry_conversion": {"enabled": True},
                "tls": {"insecure": True},
            },
            "otlphttp/loki": {
                "endpoint": f"{ENDPOINTS['loki']}/otlp",
                "sending_queue": {"enabled": True},
                "retry_on_failure": {"enabled": True},
            },
        },
        "service": {
            "pipelines": {
                # Every span feeds span metrics, then waits for the sampling decision.
                "traces": pipeline(
                    ["otlp"], ["memory_limiter"], ["spanmetrics", "forward/sampling"]
                ),
                "traces/sampled": pipeline(
                    ["forward/sampling"], ["tail_sampling", "batch"], ["otlp/tempo"]
                ),
                "metrics": pipeline(
                    ["otlp", "spanmetrics", "prometheus/self"],
                    ["memory_limiter", "batch"],
                    ["prometheusremotewrite"],
                ),
                "logs": pipeline(["otlp"], ["memory_limiter", "batch"], ["otlphttp/loki"]),
            }
        },
    }
    values = {
        **collector_base(GATEWAY_NAME, "deployment", o.collector_gateway),
        "replicaCount": o.collector_gateway.replicas,
        "alternateConfig": collector_config(config),
        "service": {"enabled": True},
    }
    if o.collector_gateway.replicas > 1:
        values["podDisruptionBudget"] = {"enabled": True, "minAvailable": 1}
    return values


def cluster_collector_values(profile: SizeProfile, cluster: str, agent: str) -> dict:
    """One collector per worker for cluster-wide state (pod phases, container restarts), which
    a DaemonSet would report once per node."""
    config = {
        "receivers": {
            "k8s_cluster": {
                "collection_interval": "30s",
                "node_conditions_to_report": ["Ready", "MemoryPressure"],
            },
            "prometheus/self": self_metrics_receiver(CLUSTER_COLLECTOR_NAME),
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "resource/cluster": cluster_resource(cluster),
            "batch": BATCH,
        },
        "exporters": {"otlp/agent": otlp_exporter(agent, tls=False)},
        "service": {
            "pipelines": {
                "metrics": pipeline(
                    ["k8s_cluster", "prometheus/self"],
                    ["memory_limiter", "resource/cluster", "batch"],
                    ["otlp/agent"],
                )
            }
        },
    }
    return {
        **collector_base(
            CLUSTER_COLLECTOR_NAME, "deployment", SIZES[profile.name].collector_cluster
        ),
        "replicaCount": 1,
        "alternateConfig": collector_config(config),
        "service": {"enabled": False},
        "clusterRole": {
            "create": True,
            "rules": [
                {
                    "apiGroups": ["", "apps", "batch", "autoscaling"],
                    "resources": [
                        "events",
                        "namespaces",
                        "nodes",
                        "pods",
                        "replicationcontrollers",
                        "resourcequotas",
                        "services",
                        "daemonsets",
                        "deployments",
                        "replicasets",
                        "statefulsets",
                        "jobs",
                        "cronjobs",
                        "horizontalpodautoscalers",
                    ],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
    }


def otel_operator_values(profile: SizeProfile) -> dict:
    o = SIZES[profile.name]
    repository = charts.IMAGES["otel-collector"].rsplit(":", 1)[0]
    return {
        "fullnameOverride": OTEL_OPERATOR_NAME,
        "replicaCount": o.otel_operator.replicas,
        "manager": {
            "resources": o.otel_operator.resources(),
            "collectorImage": {"repository": repository},
            # Go needs the feature gate (and privileged pods, see README).
            "autoInstrumentation": {"go": {"enabled": True}},
        },
        # cert-manager issues the webhook certificate: stable across renders, unlike the
        # chart's self-generated one.
        "admissionWebhooks": {
            "certManager": {"enabled": True},
            "autoGenerateCert": {"enabled": False},
        },
        "pdb": {"create": o.otel_operator.replicas > 1},
    }


def instrumentation_spec() -> dict:
    """Java, Go, Python and Node.js services opt in with `naming.instrumentation_annotation`;
    they send OTLP/HTTP to the agent on their node."""
    return {
        "exporter": {"endpoint": ENDPOINTS["otlpHttp"]},
        "propagators": ["tracecontext", "baggage"],
        # Sampling happens at the gateway (tail sampling); services send every span.
        "sampler": {"type": "parentbased_always_on"},
        "env": [{"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/protobuf"}],
        "resource": {"addK8sUIDAttributes": True},
        # Injected init containers pass Pod Security `restricted` in team namespaces.
        "initContainerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **{language: {} for language in naming.INSTRUMENTATION_LANGUAGES},
    }


def pod_monitors(argocd: bool) -> dict[str, dict]:
    """Scrapes of platform components whose metrics the dashboards and alerts read (ArgoCD's
    application controller only where ArgoCD runs)."""

    def monitor(namespace: str, app: str, port: str) -> dict:
        return {
            "namespaceSelector": {"matchNames": [namespace]},
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "podMetricsEndpoints": [{"port": port, "interval": "30s"}],
        }

    monitors = {}
    if argocd:
        monitors["argocd-application-controller"] = monitor(
            ARGOCD_NAMESPACE, "argocd-application-controller", "metrics"
        )
    monitors["cert-manager"] = monitor(CERT_MANAGER_NAMESPACE, "cert-manager", "http-metrics")
    return monitors
