"""Discovery of the target repo: each cluster-template layout variant, and what it suggests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import MINIMAL_ANSWERS, all_checks_passed, flux_repo, run_cli, snapshot_tree
from wizard.repo.discovery import discover

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


FLUX_APPS = """\
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
"""

OPENEBS = """\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: openebs
spec:
  interval: 1h
  chart:
    spec:
      chart: openebs
      version: 4.3.3
      sourceRef:
        kind: HelmRepository
        name: openebs
        namespace: flux-system
  values:
    engines:
      replicated:
        mayastor:
          enabled: false
    localpv-provisioner:
      hostpathClass:
        enabled: true
        isDefaultClass: false
        basePath: /var/openebs/local
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
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_APPS)
    write(repo, "kubernetes/apps/kube-system/cilium/gateway/internal.yaml", GATEWAY.format(name="internal", namespace_line="  namespace: kube-system\n"))
    write(repo, "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml", STORE)
    write(repo, "kubernetes/apps/openebs-system/openebs/app/helmrelease.yaml", OPENEBS)
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
    assert found.default_storage_class == "local-path"
    # cluster.yaml names the domain, but the repo keeps it out of git: never suggested, never written
    assert found.domain is None and found.domain_variable == "SECRET_DOMAIN"

    result = run(variant_b, tmp_path)
    assert result.code == 0, result
    assert "cluster.domain" not in result.out and "example.org" not in result.out
    for line in ("from the repo: cluster.storage_class = local-path",
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
    assert found.layout == "components-common" and found.domain is None and found.domain_variable == "SECRET_DOMAIN"
    assert found.storage_classes == ["openebs-hostpath"]  # created by the openebs HelmRelease
    result = run(variant_a, tmp_path, ANSWERS + "  storage_class: openebs-hostpath\n")
    assert result.code == 0, result
    assert not (variant_a / NS / "namespace.yaml").exists()
    (ns_kustomization,) = docs(variant_a / NS / "kustomization.yaml")
    assert ns_kustomization["components"] == ["../../components/common"]
    assert "./namespace.yaml" not in ns_kustomization["resources"]
    assert all_checks_passed(result.out), result.out


def test_envoy_gateway_era_gateway_namespace_from_the_folder(tmp_path, kubectl):
    repo = flux_repo(tmp_path / "home-ops")
    (repo / "kubernetes/apps/kube-system/cilium/gateway/internal.yaml").unlink()
    write(repo, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml",
          GATEWAY.format(name="envoy-external", namespace_line="") + GATEWAY.format(name="envoy-internal", namespace_line=""))
    found = discover(repo)
    assert found.preferred_gateway().name == "envoy-internal" and found.preferred_gateway().namespace == "network"
    result = run(repo, tmp_path, ANSWERS + "  domain: example.com\n  storage_class: local-path\n")
    assert result.code == 0, result
    route, *_ = docs(repo / NS / "kube-prometheus-stack/app/httproute.yaml")  # then the Prometheus and Alertmanager routes
    assert route["spec"]["parentRefs"] == [{"name": "envoy-internal", "namespace": "network", "sectionName": "https"}]


def test_explicit_answers_override_discovery(variant_b, tmp_path, kubectl):
    result = run(variant_b, tmp_path, ANSWERS + "  storage_class: local-hostpath\ngrafana:\n  gateway_name: external\n")
    assert result.code == 0, result
    assert "from the repo: cluster.storage_class" not in result.out
    route, *_ = docs(variant_b / NS / "kube-prometheus-stack/app/httproute.yaml")  # then the Prometheus and Alertmanager routes
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
    assert not found.is_flux_repo


# --- today's cluster-template (2026): cluster.toml, envoy-gateway in network, flux-instance, openebs ----

ENVOY = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
spec:
  gatewayClassName: envoy
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
      hostname: "*.${{SECRET_DOMAIN}}"
      allowedRoutes:
        namespaces:
          from: All
"""

FLUX_INSTANCE = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: flux-instance
spec:
  interval: 15m
  url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance
  ref:
    tag: 0.33.0
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: flux-instance
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: flux-instance
  values:
    instance:
      distribution:
        version: 2.7.x
      sync:
        kind: GitRepository
        url: https://github.com/someone/home-ops.git
        ref: refs/heads/main
        path: kubernetes/flux/cluster
        pullSecret: github-deploy-key
"""

HIDDEN_DOMAIN = "hidden-domain.example"


@pytest.fixture
def era_2026(tmp_path) -> Path:
    """cluster-template HEAD (2026-08): cluster.toml, envoy-gateway in network, the Flux Operator
    (flux-instance, so no GitRepository manifest), openebs creating openebs-hostpath, components/sops with
    ${SECRET_DOMAIN}; plus the External Secrets store home-ops repos call onepassword-connect."""
    repo = tmp_path / "home-ops"
    sops_component(repo, "kubernetes/components/sops")
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_PATCH)
    write(repo, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml",
          ENVOY.format(name="envoy-external") + ENVOY.format(name="envoy-internal"))
    write(repo, "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml", FLUX_INSTANCE)
    write(repo, "kubernetes/apps/openebs-system/openebs/app/helmrelease.yaml", OPENEBS)
    write(repo, "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml", STORE)
    write(repo, "cluster.toml", f'[domain]\nname = "{HIDDEN_DOMAIN}"\n\n[network]\nnode_cidr = "192.168.1.0/24"\n')
    write(repo, "justfile", "mod template\n")
    return repo


def test_era_2026_is_discovered(era_2026):
    found = discover(era_2026)
    assert found.is_flux_repo and found.flux_operator and found.helmrelease_defaults
    assert [(g.namespace, g.name, g.https_section, g.listeners) for g in found.gateways] == [
        ("network", "envoy-external", "https", ("http", "https")), ("network", "envoy-internal", "https", ("http", "https"))]
    assert found.storage_classes == ["openebs-hostpath"]
    assert [(s.kind, s.namespace, s.name) for s in found.sources] == [("GitRepository", "flux-system", "flux-system")]
    assert found.domain_variable == "SECRET_DOMAIN" and found.domain is None
    assert found.suggestions()["grafana"] == {"gateway_name": "envoy-internal", "gateway_namespace": "network", "gateway_section": "https"}


def test_cluster_toml_domain_is_read_when_the_repo_does_not_hide_it(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    write(repo, "cluster.toml", '[domain]\nname = "example.dev"\n')
    assert discover(repo).suggestions()["cluster"]["domain"] == "example.dev"


@pytest.mark.parametrize("chart, values, expected", [
    ("local-path-provisioner", "    storageClass:\n      name: local-hostpath\n      defaultClass: true\n", ["local-hostpath"]),
    ("local-path-provisioner", "    storageClass:\n      create: false\n", []),
    ("democratic-csi", "    storageClasses:\n      - name: truenas-iscsi\n      - name: truenas-nfs\n        defaultClass: true\n",
     ["truenas-iscsi", "truenas-nfs"]),
    ("rook-ceph-cluster", "    cephFileSystems: []\n    cephObjectStores: []\n", ["ceph-block"]),
    ("unrelated-chart", "    storageClass:\n      name: nope\n", []),
])
def test_storage_classes_created_by_helmreleases(tmp_path, chart, values, expected):
    repo = tmp_path / "repo"
    write(repo, "kubernetes/apps/storage/x/app/ocirepository.yaml",
          f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: x\nspec:\n  url: oci://ghcr.io/charts/{chart}\n")
    write(repo, "kubernetes/apps/storage/x/app/helmrelease.yaml",
          "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: x\nspec:\n"
          "  chartRef:\n    kind: OCIRepository\n    name: x\n  values:\n" + values)
    found = discover(repo)
    assert found.storage_classes == expected
    if chart == "democratic-csi":
        assert found.default_storage_class == "truenas-nfs"


def written_files(repo: Path, before: set[str]) -> dict[str, str]:
    return {str(p.relative_to(repo)): p.read_text() for p in repo.rglob("*") if p.is_file() and str(p.relative_to(repo)) not in before}


def test_omitted_answers_take_the_single_candidates_and_the_domain_never_reaches_git(era_2026, tmp_path, kubectl):
    before = {str(p.relative_to(era_2026)) for p in era_2026.rglob("*") if p.is_file()}
    result = run(era_2026, tmp_path)  # node_count only: everything else from the repo
    assert result.code == 0, result
    for line in ("from the repo: secrets.store = onepassword-connect", "from the repo: grafana.gateway_name = envoy-internal",
                 "from the repo: grafana.gateway_namespace = network", "from the repo: grafana.gateway_section = https",
                 "from the repo: cluster.storage_class = openebs-hostpath"):
        assert line in result.out
    assert all_checks_passed(result.out), result.out
    written = written_files(era_2026, before)
    assert ".obs-wizard/answers.yaml" in written and ".obs-wizard/state.json" in written and len(written) > 15
    for rel, text in written.items():
        assert HIDDEN_DOMAIN not in text, rel
    route, *_ = docs(era_2026 / NS / "kube-prometheus-stack/app/httproute.yaml")  # then the Prometheus and Alertmanager routes
    assert route["spec"]["hostnames"] == ["grafana.${SECRET_DOMAIN}"]
    assert route["spec"]["parentRefs"] == [{"name": "envoy-internal", "namespace": "network", "sectionName": "https"}]
    (release,) = docs(era_2026 / NS / "kube-prometheus-stack/app/helmrelease.yaml")
    assert release["spec"]["values"]["grafana"]["grafana.ini"]["server"]["root_url"] == "https://grafana.${SECRET_DOMAIN}"
    assert HIDDEN_DOMAIN not in result.out + result.err
    assert run_cli("--check", "--repo", era_2026).code == 0


def test_the_domain_may_be_written_as_the_variable_but_not_as_the_literal(era_2026, tmp_path):
    ok = run(era_2026, tmp_path, ANSWERS + "  domain: ${SECRET_DOMAIN}\n", "--dry-run")
    assert ok.code == 0, ok
    before = snapshot_tree(era_2026)
    literal = run(era_2026, tmp_path, ANSWERS + f"  domain: {HIDDEN_DOMAIN}\n")
    assert literal.code == 2
    assert "cluster.domain: this repo keeps its domain out of git (${SECRET_DOMAIN} from the Secret cluster-secrets)" in literal.err
    assert snapshot_tree(era_2026) == before


def test_answers_naming_what_the_repo_does_not_define_exit_2_with_did_you_mean(era_2026, tmp_path):
    """The README's old path: copy the example (store onepassword, Cilium's internal gateway)."""
    before = snapshot_tree(era_2026)
    result = run(era_2026, tmp_path, ANSWERS + "  storage_class: local-path\ngrafana:\n  gateway_name: internal\n"
                 "  gateway_namespace: kube-system\nsecrets:\n  store: onepassword\nflux:\n  git_repository: home-ops\n")
    assert result.code == 2, result
    lines = result.err.splitlines()
    assert lines == [
        "obs-wizard: secrets.store: the repo defines no ClusterSecretStore backed by 1Password onepassword (it defines: "
        "onepassword-connect); did you mean onepassword-connect? If it is created outside the repo (at bootstrap or by hand), "
        "set secrets.store_outside_repo: true",
        "obs-wizard: grafana.gateway_name: the repo defines no Gateway kube-system/internal (it defines: network/envoy-external, "
        "network/envoy-internal); did you mean network/envoy-internal? If it is created outside the repo (at bootstrap or by "
        "hand), set grafana.gateway_outside_repo: true",
        "obs-wizard: cluster.storage_class: the repo defines no StorageClass local-path (it defines: openebs-hostpath); did you "
        "mean openebs-hostpath? If it is created outside the repo (at bootstrap or by hand), set cluster.storage_class_outside_repo: true",
        "obs-wizard: flux.git_repository: the repo defines no Flux GitRepository flux-system/home-ops (it defines: "
        "flux-system/flux-system); did you mean flux-system/flux-system? If it is created outside the repo (at bootstrap or by "
        "hand), set flux.git_repository_outside_repo: true",
    ]
    assert snapshot_tree(era_2026) == before


def test_a_wrong_listener_or_vault_is_named_with_what_exists(era_2026, tmp_path):
    result = run(era_2026, tmp_path, ANSWERS + "grafana:\n  gateway_section: websecure\nsecrets:\n  vault: Kubernetes\n", "--dry-run")
    assert result.code == 2
    assert ("secrets.vault: the ClusterSecretStore onepassword-connect reads the vault(s) Homelab, Shared, not 'Kubernetes'."
            in result.err)
    assert ("grafana.gateway_section: the Gateway network/envoy-internal has no listener 'websecure' (its listeners: http, https); "
            "did you mean https?") in result.err


def test_explicitly_outside_the_repo_is_allowed(era_2026, tmp_path, kubectl):
    answers = (ANSWERS + "  storage_class: local-path\n  storage_class_outside_repo: true\ngrafana:\n  gateway_name: internal\n"
               "  gateway_namespace: kube-system\n  gateway_outside_repo: true\nsecrets:\n  store: onepassword\n"
               "  store_outside_repo: true\n")
    result = run(era_2026, tmp_path, answers)
    assert result.code == 0, result
    saved = yaml.safe_load((era_2026 / ".obs-wizard/answers.yaml").read_text())
    assert saved["secrets"]["store_outside_repo"] is True and saved["cluster"]["storage_class_outside_repo"] is True
    assert docs(era_2026 / NS / "kube-prometheus-stack/app/externalsecret.yaml")[0]["spec"]["secretStoreRef"]["name"] == "onepassword"


def test_the_outside_repo_fields_are_documented_in_the_schema():
    schema = json.loads(run_cli("schema").out)
    for section, name in (("secrets", "store_outside_repo"), ("grafana", "gateway_outside_repo"),
                          ("cluster", "storage_class_outside_repo"), ("flux", "git_repository_outside_repo")):
        props = schema["$defs"][section.title()]["properties"][name]
        assert props["type"] == "boolean" and props["default"] is False and "outside this repo" in props["description"]


# --- not a Flux repo ------------------------------------------------------------------------------------

def test_a_repo_without_flux_is_refused_unless_init_layout(tmp_path, kubectl):
    repo = tmp_path / "not-flux"
    write(repo, "README.md", "# my notes\n")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS + "  domain: example.com\n  storage_class: local-path\n  storage_class_outside_repo: true\n"
                       "grafana:\n  gateway_outside_repo: true\nsecrets:\n  store_outside_repo: true\n")
    refused = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert refused.code == 2
    assert refused.err.startswith(f"obs-wizard: {repo}: not a Flux repo: no Flux Kustomization (kustomize.toolkit.fluxcd.io) "
                                  "under kubernetes/ applies ./kubernetes/apps")
    assert "--init-layout" in refused.err and sorted(p.name for p in repo.iterdir()) == ["README.md"]

    created = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check", "--init-layout")
    assert created.code == 0, created
    assert "  create    kubernetes/flux/cluster/ks.yaml  (--init-layout: Flux applies kubernetes/apps)" in created.out
    (ks,) = docs(repo / "kubernetes/flux/cluster/ks.yaml")
    assert ks["spec"]["path"] == "./kubernetes/apps" and ks["spec"]["sourceRef"] == {
        "kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}
    assert discover(repo).is_flux_repo  # the next run needs no --init-layout
    assert run_cli("--check", "--repo", repo).code == 0


def test_the_interactive_front_ends_refuse_a_non_flux_repo_too(tmp_path):
    from wizard.base.errors import BadInput
    from wizard.session import Session

    with pytest.raises(BadInput, match="not a Flux repo"):
        Session.open(tmp_path)
    assert Session.open(tmp_path, init_layout=True).needs_layout


# --- --init-answers ---------------------------------------------------------------------------------------

def test_init_answers_writes_what_the_repo_defines_and_the_first_run_passes(era_2026, tmp_path, kubectl):
    target = era_2026 / ".obs-wizard/answers.yaml"
    result = run_cli("--init-answers", "--repo", era_2026)
    assert result.code == 0, result
    text = target.read_text()
    assert "cluster.node_count: how many nodes the cluster has (required)" in text and HIDDEN_DOMAIN not in text
    saved = yaml.safe_load(text)
    assert saved["secrets"]["store"] == "onepassword-connect" and saved["secrets"]["vault"] == "Homelab"
    assert saved["grafana"] == {"gateway_name": "envoy-internal", "gateway_namespace": "network", "gateway_section": "https"}
    assert saved["cluster"] == {"storage_class": "openebs-hostpath"}
    assert f"wrote {target}; fill in the 1 value(s) listed at its top" in result.out

    again = run_cli("--init-answers", "--repo", era_2026)
    assert again.code == 2 and "exists; --init-answers never overwrites a file" in again.err
    assert target.read_text() == text

    target.write_text(text.replace("cluster:\n", "cluster:\n  node_count: 3\n"))
    first = run_cli("--answers", target, "--repo", era_2026, "--skip-secret-check")
    assert first.code == 0, first


def test_init_answers_counts_the_nodes_and_refuses_a_non_flux_repo(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    write(repo, "cluster.toml", '[domain]\nname = "example.dev"\n\n[[nodes]]\nname = "a"\n\n[[nodes]]\nname = "b"\n')
    out = tmp_path / "answers.yaml"
    assert run_cli("--init-answers", "--repo", repo, "--answers", out).code == 0
    assert yaml.safe_load(out.read_text())["cluster"] == {"domain": "example.dev", "storage_class": "local-path", "node_count": 2}
    assert "Still to fill in" not in out.read_text()
    refused = run_cli("--init-answers", "--repo", tmp_path / "nothing-here", "--answers", tmp_path / "x.yaml") \
        if (tmp_path / "nothing-here").mkdir() is None else None
    assert refused.code == 2 and "not a Flux repo" in refused.err and not (tmp_path / "x.yaml").exists()


# --- --adopt of a release that switches off what obs-wizard would add -----------------------------------

HOME_OPS_KPS = """\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: kube-prometheus-stack
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: kube-prometheus-stack
  values:
    crds:
      enabled: true
    cleanPrometheusOperatorObjectNames: true
    alertmanager:
      alertmanagerSpec:
        alertmanagerConfiguration:
          name: alertmanager
          global:
            resolveTimeout: 5m
    grafana:
      enabled: false
      forceDeployDashboards: true
    prometheus:
      prometheusSpec:
        podMonitorSelectorNilUsesHelmValues: false
        serviceMonitorSelectorNilUsesHelmValues: false
        retention: 14d
        retentionSize: 50GB
"""

HOME_OPS_AMCONFIG = """\
---
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata:
  name: alertmanager
spec:
  route:
    groupBy: ["alertname", "job"]
    groupWait: 1m
    receiver: pushover
  receivers:
    - name: pushover
"""


def test_adopting_a_release_that_hands_off_grafana_and_alertmanager_is_refused_with_the_reason(tmp_path, kubectl):
    """Shaped like onedr0p/home-ops' observability kube-prometheus-stack (2025-09): Grafana is its own app,
    Alertmanager routes through an AlertmanagerConfig."""
    repo = flux_repo(tmp_path / "home-ops")
    app = f"{NS}/kube-prometheus-stack"
    write(repo, f"{app}/ks.yaml", "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
          "  name: kube-prometheus-stack\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/observability/kube-prometheus-stack/app\n"
          "  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n")
    write(repo, f"{app}/app/helmrelease.yaml", HOME_OPS_KPS)
    write(repo, f"{app}/app/alertmanagerconfig.yaml", HOME_OPS_AMCONFIG)
    before = snapshot_tree(repo)
    result = run(repo, tmp_path, MINIMAL_ANSWERS, "--adopt", "--conflicts", "ours")
    assert result.code == 3, result
    assert ("HelmRelease/kube-prometheus-stack switches Grafana off (grafana.enabled: false) but carries Grafana values"
            in result.out)
    assert f"an HTTPRoute ({app}/app/httproute.yaml) to the Grafana Service that will not exist" in result.out
    assert f"an ExternalSecret ({app}/app/externalsecret.yaml, grafana-admin) nothing uses" in result.out
    assert ("sets alertmanager.alertmanagerSpec.alertmanagerConfiguration (alertmanager), so the operator ignores "
            "alertmanager.config") in result.out
    assert snapshot_tree(repo) == before


def test_the_consistency_check_passes_obs_wizards_own_render(example_answers):
    from wizard.render import render
    from wizard.validate.consistency import check_release_consistency

    assert check_release_consistency(render.render(example_answers)).findings == []
