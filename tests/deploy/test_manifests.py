"""The Helm chart deploy/helm/support-agent: rendered and linted by Helm's own Go SDK
(helm-python-sdk), every rendered manifest validated by kubernetes-validate against the
Kubernetes schemas of the oldest and newest versions it ships, and the settings it carries
compared with .env.example."""

from __future__ import annotations

import base64
import copy

import pytest
import yaml

from app.settings import Settings
from tests.deploy.tools import (
    CHART,
    HELM,
    KUBE_VALIDATE,
    POSTGRES_VALUES,
    env_example_keys,
)

needs_helm = pytest.mark.skipif(
    not HELM, reason="helm-python-sdk not installed (dev extras): chart not rendered"
)
KUBE_VERSIONS = ("1.25.0", "1.37.0")  # Chart.yaml's kubeVersion floor; the newest schemas
HOOK = "helm.sh/hook"


def values_file() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


def render(values: dict) -> list[dict]:
    """Every manifest `helm template` would print for `values`, hooks included."""
    import helm_python as helm

    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(values, name="demo", namespace="support")
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".yaml"):
            docs += [doc for doc in yaml.safe_load_all(text) if doc]
    return docs


def by_kind(docs: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    return kinds


def release_secret(manifests: dict[str, list[dict]]) -> dict:
    """The release's own Secret (not the migration hook's)."""
    return next(s for s in manifests["Secret"] if HOOK not in s["metadata"].get("annotations", {}))


@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict]]:
    if not HELM:
        pytest.skip("helm-python-sdk not installed (dev extras): chart not rendered")
    return by_kind(render(POSTGRES_VALUES))


# -- static: the settings the chart carries -------------------------------------------------


def test_configmap_and_secret_values_together_hold_every_setting_of_env_example():
    values = values_file()
    settings, secrets = set(values["settings"]), set(values["secrets"])
    assert not settings & secrets
    assert settings | secrets == set(env_example_keys())
    assert {"JWT_SECRET", "OPENAI_API_KEY", "EVAL_LLM_API_KEY"} <= secrets
    assert {"DATABASE_URL", "CHECKPOINT_URL", "ESCALATION_WEBHOOK_URL"} <= secrets


def test_chart_defaults_are_settings_the_service_accepts(monkeypatch):
    values = values_file()
    for key, value in {**values["settings"], **values["secrets"]}.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings(_env_file=None)
    assert str(settings.DATA_DIR) == "/var/lib/support" and settings.HOST == "0.0.0.0"


# -- rendered by Helm ------------------------------------------------------------------------


@needs_helm
def test_helm_lint_reports_no_error_or_warning():
    import helm_python as helm

    for values in (None, POSTGRES_VALUES):
        report = helm.lint(CHART, values, strict=True)
        problems = [m for m in report["messages"] if m["severity"] >= 2]
        assert not report["errors"] and not problems, report


@needs_helm
@pytest.mark.skipif(not KUBE_VALIDATE, reason="kubernetes-validate not installed (dev extras)")
def test_every_rendered_manifest_is_valid_kubernetes(manifests):
    import kubernetes_validate

    docs = [doc for kind in manifests.values() for doc in kind]
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "ConfigMap", "Secret", "Job", "Ingress"} <= set(manifests)  # fmt: skip
    for version in KUBE_VERSIONS:
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)


@needs_helm
@pytest.mark.skipif(not KUBE_VALIDATE, reason="kubernetes-validate not installed (dev extras)")
def test_kubernetes_validate_would_reject_a_misspelt_probe(manifests):
    import kubernetes_validate
    from kubernetes_validate.utils import ValidationError

    deployment = copy.deepcopy(manifests["Deployment"][0])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["paht"] = container["readinessProbe"]["httpGet"].pop(
        "path"
    )
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)


@needs_helm
def test_deployment_probes_readyz_and_healthz_and_runs_locked_down(manifests):
    pod = manifests["Deployment"][0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/healthz"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120  # model loading
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["requests"] and container["resources"]["limits"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes["data"]
    config = manifests["ConfigMap"][0]["data"]
    assert mounts["data"] == config["DATA_DIR"]
    refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
    assert refs == [manifests["ConfigMap"][0]["metadata"]["name"],
                    release_secret(manifests)["metadata"]["name"]]  # fmt: skip


@needs_helm
def test_rendered_configmap_and_secret_mirror_env_example(manifests):
    config = manifests["ConfigMap"][0]["data"]
    secret = release_secret(manifests)
    assert set(config) | set(secret["data"]) == set(env_example_keys())
    jwt = base64.b64decode(secret["data"]["JWT_SECRET"]).decode()
    assert len(jwt) >= 32  # generated: every replica shares it
    given = render({**POSTGRES_VALUES, "secrets": {**POSTGRES_VALUES["secrets"],
                                                   "JWT_SECRET": "from-values"}})  # fmt: skip
    kept = release_secret(by_kind(given))
    assert base64.b64decode(kept["data"]["JWT_SECRET"]) == b"from-values"


@needs_helm
def test_hpa_pdb_and_the_migration_hook_job(manifests):
    hpa = manifests["HorizontalPodAutoscaler"][0]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == manifests["Deployment"][0]["metadata"]["name"]
    assert manifests["PodDisruptionBudget"][0]["spec"]["minAvailable"] == 1
    job = manifests["Job"][0]
    assert job["metadata"]["annotations"][HOOK] == "pre-install,pre-upgrade"
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert script.splitlines() == ["support db upgrade", 'support ingest "$KB_DIR"']
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    url = next(e for e in env if e["name"] == "DATABASE_URL")["valueFrom"]["secretKeyRef"]
    hook_secret = next(s for s in manifests["Secret"] if s["metadata"]["name"] == url["name"])
    weights = [int(d["metadata"]["annotations"]["helm.sh/hook-weight"]) for d in (hook_secret, job)]
    assert weights[0] < weights[1]  # the Secret exists before the Job reads it


@needs_helm
def test_default_values_refuse_several_pods_each_on_its_own_sqlite():
    from helm_python.errors import HelmError

    with pytest.raises(HelmError, match="needs a shared store"):
        render({})


@needs_helm
def test_one_replica_on_sqlite_renders_without_hpa_or_migration_job():
    docs = by_kind(render({"replicaCount": 1, "autoscaling": {"enabled": False}}))
    assert "Job" not in docs and "HorizontalPodAutoscaler" not in docs
    assert docs["Deployment"][0]["spec"]["replicas"] == 1
