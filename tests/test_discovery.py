"""Discovery of the target repo: each cluster-template layout variant, and what it suggests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import all_checks_passed, run_cli
from wizard.discovery import discover

NS = "kubernetes/apps/observability"

FLUX_PATCH = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  install:
                    crds: CreateReplace
                  upgrade:
                    crds: CreateReplace
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
"""

GATEWAY = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
{namespace_line}spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: Same
    - name: https
      protocol: HTTPS
      port: 443
      allowedRoutes:
        namespaces:
          from: All
"""

STORE = """\
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword-connect
spec:
  provider:
    onepassword:
      connectHost: http://onepassword-connect.external-secrets.svc.cluster.local:8080
      vaults:
        Homelab: 1
        Shared: 2
      auth:
        secretRef:
          connectTokenSecretRef:
            name: onepassword-connect-token
            key: token
            namespace: external-secrets
"""

STORAGE_CLASS = """\
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: {name}
  annotations:
    storageclass.kubernetes.io/is-default-class: "{default}"
provisioner: rancher.io/local-path
"""


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def sops_component(repo: Path, base: str) -> None:
    write(repo, f"{base}/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-secrets.sops.yaml\n")
    write(repo, f"{base}/cluster-secrets.sops.yaml",
          "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\nstringData:\n  SECRET_DOMAIN: ENC[AES256_GCM,data:abc,type:str]\n")


@pytest.fixture
def variant_b(tmp_path) -> Path:
    """cluster-template c69a0ab8: components/sops, namespace.yaml per namespace, HelmRelease defaults patch."""
    repo = tmp_path / "home-ops"
    sops_component(repo, "kubernetes/components/sops")
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_PATCH)
    write(repo, "kubernetes/apps/kube-system/cilium/gateway/internal.yaml", GATEWAY.format(name="internal", namespace_line="  namespace: kube-system\n"))
    write(repo, "kubernetes/apps/kube-system/cilium/gateway/external.yaml", GATEWAY.format(name="external", namespace_line="  namespace: kube-system\n"))
    write(repo, "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml", STORE)
    write(repo, "kubernetes/apps/kube-system/local-path/app/storageclass.yaml",
          STORAGE_CLASS.format(name="local-path", default="true") + STORAGE_CLASS.format(name="local-hostpath", default="false"))
    write(repo, "cluster.yaml", "---\ncloudflare_domain: example.org\nnode_cidr: 192.168.1.0/24\n")
    return repo


@pytest.fixture
def variant_a(tmp_path) -> Path:
    """cluster-template 2025.10.0: components/common supplies the Namespace (renamed from not-used)."""
    repo = tmp_path / "home-ops"
    write(repo, "kubernetes/components/common/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./namespace.yaml\ncomponents:\n  - ./sops\n")
    write(repo, "kubernetes/components/common/namespace.yaml",
          "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: not-used\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n")
    sops_component(repo, "kubernetes/components/common/sops")
    write(repo, "kubernetes/apps/kube-system/cilium/gateway/internal.yaml", GATEWAY.format(name="internal", namespace_line="  namespace: kube-system\n"))
    write(repo, "cluster.toml", 'cloudflare_domain = "example.net"\n')
    return repo


ANSWERS = "cluster:\n  node_count: 3\n"


def run(repo: Path, tmp_path: Path, answers: str = ANSWERS, *extra: str):
    path = tmp_path / "answers.yaml"
    path.write_text(answers)
    return run_cli("--answers", path, "--repo", repo, "--skip-secret-check", *extra)


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_variant_b_components_sops(variant_b, tmp_path, all_tools):
    found = discover(variant_b)
    assert found.layout == "components-sops" and found.helmrelease_defaults
    assert [(g.namespace, g.name, g.https_section) for g in found.gateways] == [("kube-system", "external", "https"), ("kube-system", "internal", "https")]
    assert found.secret_stores[0].name == "onepassword-connect" and found.secret_stores[0].vaults == ("Homelab", "Shared")
    assert found.default_storage_class == "local-path" and found.domain == "example.org"

    result = run(variant_b, tmp_path)
    assert result.code == 0, result
    for line in ("from the repo: cluster.domain = example.org", "from the repo: cluster.storage_class = local-path",
                 "from the repo: flux.namespace_components = ['../../components/sops']",
                 "from the repo: grafana.gateway_name = internal", "from the repo: secrets.store = onepassword-connect",
                 "from the repo: secrets.vault = Homelab", "from the repo: flux.helmrelease_defaults = True"):
        assert line in result.out
    assert all_checks_passed(result.out), result.out
    (ns_kustomization,) = docs(variant_b / NS / "kustomization.yaml")
    assert ns_kustomization["components"] == ["../../components/sops"]
    assert (variant_b / NS / "namespace.yaml").exists()
    (ks,) = docs(variant_b / NS / "kube-prometheus-stack/ks.yaml")
    assert ks["spec"]["postBuild"] == {"substituteFrom": [{"kind": "Secret", "name": "cluster-secrets"}]}
    (release,) = docs(variant_b / NS / "loki/app/helmrelease.yaml")
    assert "install" not in release["spec"]  # the cluster patch sets it
    grafana_secret = docs(variant_b / NS / "kube-prometheus-stack/app/externalsecret.yaml")[0]
    assert grafana_secret["spec"]["secretStoreRef"]["name"] == "onepassword-connect"
    saved = yaml.safe_load((variant_b / ".obs-wizard/answers.yaml").read_text())
    assert saved["secrets"]["vault"] == "Homelab"  # recorded, so later runs and --check agree
    assert run_cli("--check", "--repo", variant_b).code == 0


def test_variant_a_components_common_supplies_the_namespace(variant_a, tmp_path, all_tools):
    found = discover(variant_a)
    assert found.layout == "components-common" and found.domain == "example.net"
    result = run(variant_a, tmp_path, ANSWERS + "  storage_class: openebs-hostpath\n")
    assert result.code == 0, result
    assert not (variant_a / NS / "namespace.yaml").exists()
    (ns_kustomization,) = docs(variant_a / NS / "kustomization.yaml")
    assert ns_kustomization["components"] == ["../../components/common"]
    assert "./namespace.yaml" not in ns_kustomization["resources"]
    assert all_checks_passed(result.out), result.out


def test_envoy_gateway_era_gateway_namespace_from_the_folder(tmp_path, kubectl):
    repo = tmp_path / "home-ops"
    write(repo, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml",
          GATEWAY.format(name="envoy-external", namespace_line="") + GATEWAY.format(name="envoy-internal", namespace_line=""))
    found = discover(repo)
    assert found.preferred_gateway().name == "envoy-internal" and found.preferred_gateway().namespace == "network"
    result = run(repo, tmp_path, ANSWERS + "  domain: example.com\n  storage_class: local-path\n")
    assert result.code == 0, result
    (route,) = docs(repo / NS / "kube-prometheus-stack/app/httproute.yaml")
    assert route["spec"]["parentRefs"] == [{"name": "envoy-internal", "namespace": "network", "sectionName": "https"}]


def test_explicit_answers_override_discovery(variant_b, tmp_path, kubectl):
    result = run(variant_b, tmp_path, ANSWERS + "  storage_class: local-hostpath\ngrafana:\n  gateway_name: external\n")
    assert result.code == 0, result
    assert "from the repo: cluster.storage_class" not in result.out
    (route,) = docs(variant_b / NS / "kube-prometheus-stack/app/httproute.yaml")
    assert route["spec"]["parentRefs"][0]["name"] == "external"
    assert "storageClass: local-hostpath" in (variant_b / NS / "loki/app/helmrelease.yaml").read_text()


def test_other_apps_in_the_namespace_are_reported_and_kept(variant_b, tmp_path, kubectl):
    write(variant_b, f"{NS}/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: observability\n"
          "components:\n  - ../../components/sops\nresources:\n  - ./namespace.yaml\n  - ./headlamp/ks.yaml\n")
    write(variant_b, f"{NS}/namespace.yaml", "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: observability\n")
    write(variant_b, f"{NS}/headlamp/ks.yaml",
          "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: headlamp\nspec:\n"
          "  interval: 1h\n  path: ./kubernetes/apps/observability/headlamp/app\n  prune: true\n  sourceRef:\n"
          "    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n")
    result = run(variant_b, tmp_path)
    assert result.code == 0, result
    assert "repo: other apps in the namespace (kept as they are): headlamp" in result.out
    resources = docs(variant_b / NS / "kustomization.yaml")[0]["resources"]
    assert resources[:2] == ["./namespace.yaml", "./headlamp/ks.yaml"] and "./loki/ks.yaml" in resources


def test_an_empty_repo_suggests_nothing(tmp_path):
    found = discover(tmp_path)
    assert found.suggestions() == {} and found.layout == "plain" and found.saved_answers is None
