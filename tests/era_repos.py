"""Repos shaped like each era of cluster-template's render (and a home-ops one), built by the tests.

Each app's files are written as the template renders them at that era (onedr0p/cluster-template
``template/config/kubernetes/apps/default/echo/`` at HEAD 2026, ``templates/config/...`` at 2025.10.0),
with the same names, key order, schema comments, anchors, blank lines and list style. Only what
discovery and the dialect read is there; nothing is simplified away from those shapes.
"""

from __future__ import annotations

from pathlib import Path

CHART_OCI = "oci://ghcr.io/home-operations/charts/{name}"
SOPS_SECRET = ("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n"
               "stringData:\n  SECRET_DOMAIN: ENC[AES256_GCM,data:abc,type:str]\n")


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- 2026-08 (cluster-template HEAD): cluster.toml, envoy-gateway, no schema comments, bootstrap/helmfile/crds.yaml ---

def ks_2026(ns: str, name: str, extra: str = "", wait: bool = True, depends: str = "") -> str:
    return (f"---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\nspec:\n"
            f"{depends}  interval: 1h\n  path: ./kubernetes/apps/{ns}/{name}/app\n  postBuild:\n    substituteFrom:\n"
            f"      - name: cluster-secrets\n        kind: Secret\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
            f"    name: flux-system\n    namespace: flux-system\n  targetNamespace: {ns}\n{extra}" + ("  wait: false\n" if wait else ""))


def hr_2026(name: str, values: str = "    replicaCount: 1\n", chart: str | None = None) -> str:
    return (f"---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\nspec:\n  chartRef:\n"
            f"    kind: OCIRepository\n    name: {chart or name}\n  interval: 1h\n  values:\n{values}")


def oci_2026(name: str, version: str = "1.0.0") -> str:
    return (f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: {name}\nspec:\n  interval: 15m\n"
            f"  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n"
            f"  ref:\n    tag: {version}\n  url: {CHART_OCI.format(name=name)}\n")


def app_kustomization_2026(*resources: str) -> str:
    return "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + "".join(f"  - ./{r}\n" for r in resources)


def ns_kustomization_2026(ns: str, *apps: str) -> str:
    return (f"---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\n\ncomponents:\n"
            f"  - ../../components/sops\n\nresources:\n  - ./namespace.yaml\n" + "".join(f"  - ./{a}/ks.yaml\n" for a in apps))


NAMESPACE = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n"

FLUX_PATCH_2026 = """\
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
          decryption:
            provider: sops
          deletionPolicy: WaitForTermination
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  install:
                    crds: CreateReplace
                    strategy:
                      name: RetryOnFailure
                  upgrade:
                    cleanupOnFail: true
                    crds: CreateReplace
                    strategy:
                      name: RemediateOnFailure
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
"""

HELMFILE_CRDS_2026 = """\
---
# yaml-language-server: $schema=https://json.schemastore.org/helmfile

# Bootstraps cluster-wide Custom Resource Definitions (CRDs) by extracting them
# from upstream Helm charts and applying them directly with kubectl.

helmDefaults:
  args:
    - --include-crds
    - --no-hooks

bases:
  - default.yaml

releases:
  - name: envoy-gateway
    namespace: network
    inherit:
      - template: default

  - name: prometheus-operator-crds
    namespace: observability
    chart: oci://ghcr.io/prometheus-community/charts/prometheus-operator-crds
    version: 29.0.0
"""

ENVOY_GATEWAY = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: envoy-internal
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
      hostname: "*.${SECRET_DOMAIN}"
      allowedRoutes:
        namespaces:
          from: All
"""

FLUX_WEBHOOK_ROUTE = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: flux-webhook
spec:
  hostnames: ["flux-webhook.${SECRET_DOMAIN}"]
  parentRefs:
    - name: envoy-internal
      namespace: network
      sectionName: https
  rules:
    - backendRefs:
        - name: webhook-receiver
          namespace: flux-system
          port: 80
"""


def store(name: str) -> str:
    return (f"---\napiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: {name}\nspec:\n  provider:\n"
            f"    onepassword:\n      connectHost: http://onepassword-connect.external-secrets.svc.cluster.local:8080\n"
            f"      vaults:\n        Homelab: 1\n      auth:\n        secretRef:\n          connectTokenSecretRef:\n"
            f"            name: onepassword-connect-token\n            key: token\n            namespace: external-secrets\n")


OPENEBS_VALUES = ("    localpv-provisioner:\n      hostpathClass:\n        enabled: true\n        isDefaultClass: false\n"
                  "        basePath: /var/openebs/local\n")


def era_2026(repo: Path) -> Path:
    """cluster-template HEAD (2026-08) as rendered: cluster.toml, envoy-gateway in network, the Flux Operator,
    openebs creating openebs-hostpath, components/sops with ${SECRET_DOMAIN}, bootstrap/helmfile/crds.yaml
    installing prometheus-operator-crds; plus the 1Password Connect store of the operator's own external-secrets app."""
    write(repo, "cluster.toml", '[domain]\nname = "hidden.example"\n\n[network]\nnode_cidr = "192.168.1.0/24"\n')
    write(repo, "bootstrap/helmfile/crds.yaml", HELMFILE_CRDS_2026)
    write(repo, "kubernetes/components/sops/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-secrets.sops.yaml\n")
    write(repo, "kubernetes/components/sops/cluster-secrets.sops.yaml", SOPS_SECRET)
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_PATCH_2026)
    apps = {
        "default": {"echo": ("helmrelease.yaml", "ocirepository.yaml")},
        "network": {"envoy-gateway": ("envoy.yaml", "helmrelease.yaml", "ocirepository.yaml")},
        "flux-system": {"flux-instance": ("helmrelease.yaml", "ocirepository.yaml", "httproute.yaml")},
        "openebs-system": {"openebs": ("helmrelease.yaml", "ocirepository.yaml")},
        "external-secrets": {"external-secrets": ("helmrelease.yaml", "ocirepository.yaml"),
                             "onepassword-connect": ("clustersecretstore.yaml", "helmrelease.yaml", "ocirepository.yaml")},
    }
    for ns, names in apps.items():
        write(repo, f"kubernetes/apps/{ns}/kustomization.yaml", ns_kustomization_2026(ns, *names))
        write(repo, f"kubernetes/apps/{ns}/namespace.yaml", NAMESPACE.format(ns=ns))
        for name, resources in names.items():
            depends = "  dependsOn:\n    - name: external-secrets\n" if name == "onepassword-connect" else ""
            write(repo, f"kubernetes/apps/{ns}/{name}/ks.yaml", ks_2026(ns, name, depends=depends))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/kustomization.yaml", app_kustomization_2026(*resources))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/ocirepository.yaml", oci_2026(name))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/helmrelease.yaml",
                  hr_2026(name, OPENEBS_VALUES if name == "openebs" else "    replicaCount: 1\n"))
    write(repo, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml", ENVOY_GATEWAY)
    write(repo, "kubernetes/apps/flux-system/flux-instance/app/httproute.yaml", FLUX_WEBHOOK_ROUTE)
    write(repo, "kubernetes/apps/external-secrets/onepassword-connect/app/clustersecretstore.yaml", store("onepassword-connect"))
    # cert-manager: healthChecks and no wait (the template's one variation)
    write(repo, "kubernetes/apps/cert-manager/kustomization.yaml", ns_kustomization_2026("cert-manager", "cert-manager"))
    write(repo, "kubernetes/apps/cert-manager/namespace.yaml", NAMESPACE.format(ns="cert-manager"))
    write(repo, "kubernetes/apps/cert-manager/cert-manager/ks.yaml", ks_2026("cert-manager", "cert-manager", wait=False).replace(
        "spec:\n", "spec:\n  healthChecks:\n    - apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease\n"
        "      name: cert-manager\n      namespace: cert-manager\n", 1))
    write(repo, "kubernetes/apps/cert-manager/cert-manager/app/kustomization.yaml",
          app_kustomization_2026("helmrelease.yaml", "ocirepository.yaml"))
    write(repo, "kubernetes/apps/cert-manager/cert-manager/app/helmrelease.yaml", hr_2026("cert-manager"))
    write(repo, "kubernetes/apps/cert-manager/cert-manager/app/ocirepository.yaml", oci_2026("cert-manager"))
    return repo


# --- 2025-10 (cluster-template 2025.10.0): Cilium, anchors, metadata.namespace, fluxcd-community schema URLs ---

FLUXCD = "# yaml-language-server: $schema=https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/{}.json\n"


def ks_2025(ns: str, name: str) -> str:
    return ("---\n" + FLUXCD.format("kustomization-kustomize-v1")
            + f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: &app {name}\n"
            f"  namespace: &namespace {ns}\nspec:\n  commonMetadata:\n    labels:\n      app.kubernetes.io/name: *app\n"
            f"  interval: 1h\n  path: ./kubernetes/apps/{ns}/{name}/app\n  postBuild:\n    substituteFrom:\n"
            f"      - name: cluster-secrets\n        kind: Secret\n  prune: true\n  retryInterval: 2m\n  sourceRef:\n"
            f"    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  targetNamespace: *namespace\n"
            f"  timeout: 5m\n  wait: false\n")


def hr_2025(name: str, values: str = "    replicaCount: 1\n") -> str:
    return ("---\n" + FLUXCD.format("helmrelease-helm-v2")
            + f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\nspec:\n  interval: 1h\n"
            f"  chartRef:\n    kind: OCIRepository\n    name: {name}\n  install:\n    remediation:\n      retries: -1\n"
            f"  upgrade:\n    cleanupOnFail: true\n    remediation:\n      retries: 3\n  values:\n{values}")


def oci_2025(name: str) -> str:
    return "---\n" + FLUXCD.format("ocirepository-source-v1") + oci_2026(name).removeprefix("---\n")


SCHEMASTORE = "# yaml-language-server: $schema=https://json.schemastore.org/kustomization\n"


def app_kustomization_2025(*resources: str) -> str:
    return "---\n" + SCHEMASTORE + app_kustomization_2026(*resources).removeprefix("---\n")


def ns_kustomization_2025(ns: str, *apps: str) -> str:
    return ("---\n" + SCHEMASTORE + f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\n"
            "components:\n  - ../../components/common\nresources:\n" + "".join(f"  - ./{a}/ks.yaml\n" for a in apps))


CILIUM_GATEWAY = ENVOY_GATEWAY.replace("name: envoy-internal", "name: internal\n  namespace: kube-system").replace(
    "gatewayClassName: envoy", "gatewayClassName: cilium")

HELMFILE_CRDS_2025 = """\
---
# yaml-language-server: $schema=https://json.schemastore.org/helmfile

# This helmfile is for extracting and installing Custom Resource Definitions (CRDs) from Helm charts.
# It is not intended to be used with helmfile apply or helmfile sync.

helmDefaults:
  args:
    - --include-crds
    - --no-hooks

releases:
  - name: gateway-api-crds
    namespace: kube-system
    chart: oci://ghcr.io/wiremind/wiremind-helm-charts/gateway-api-crds
    version: 1.3.0

  - name: kube-prometheus-stack
    namespace: observability
    chart: oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack
    version: 77.12.0
"""

FLUX_APPS_2025 = """\
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


def era_2025(repo: Path) -> Path:
    """cluster-template 2025.10.0 as rendered: components/common, Cilium Gateways in kube-system, every ks.yaml
    with &app/&namespace anchors and metadata.namespace, fluxcd-community schema comments, per-HelmRelease
    install/upgrade (no defaults patch), bootstrap/helmfile.d/00-crds.yaml extracting kube-prometheus-stack's CRDs."""
    write(repo, "cluster.yaml", "---\ncloudflare_domain: example.org\nnode_cidr: 192.168.1.0/24\n")
    write(repo, "bootstrap/helmfile.d/00-crds.yaml", HELMFILE_CRDS_2025)
    write(repo, "kubernetes/components/common/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./namespace.yaml\n"
          "components:\n  - ./sops\n")
    write(repo, "kubernetes/components/common/namespace.yaml", NAMESPACE.format(ns="not-used"))
    write(repo, "kubernetes/components/common/sops/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-secrets.sops.yaml\n")
    write(repo, "kubernetes/components/common/sops/cluster-secrets.sops.yaml", SOPS_SECRET)
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_APPS_2025)
    apps = {
        "default": {"echo": ("helmrelease.yaml", "ocirepository.yaml")},
        "kube-system": {"cilium": ("helmrelease.yaml", "ocirepository.yaml"), "coredns": ("helmrelease.yaml", "ocirepository.yaml")},
        "openebs-system": {"openebs": ("helmrelease.yaml", "ocirepository.yaml")},
        "external-secrets": {"onepassword": ("clustersecretstore.yaml", "helmrelease.yaml", "ocirepository.yaml")},
    }
    for ns, names in apps.items():
        write(repo, f"kubernetes/apps/{ns}/kustomization.yaml", ns_kustomization_2025(ns, *names))
        for name, resources in names.items():
            write(repo, f"kubernetes/apps/{ns}/{name}/ks.yaml", ks_2025(ns, name))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/kustomization.yaml", app_kustomization_2025(*resources))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/ocirepository.yaml", oci_2025(name))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/helmrelease.yaml",
                  hr_2025(name, OPENEBS_VALUES if name == "openebs" else "    replicaCount: 1\n"))
    write(repo, "kubernetes/apps/kube-system/cilium/gateway/internal.yaml", CILIUM_GATEWAY)
    write(repo, "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml", store("onepassword"))
    return repo


# --- home-ops (onedr0p-style): k8s-schemas.home-operations.com, &app only, commonMetadata, no postBuild ---

HOMEOPS = "# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/{}.json\n"


def ks_homeops(ns: str, name: str, depends: str = "") -> str:
    return ("---\n" + HOMEOPS.format("kustomize.toolkit.fluxcd.io/kustomization_v1")
            + f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: &app {name}\nspec:\n"
            f"  commonMetadata:\n    labels:\n      app.kubernetes.io/name: *app\n{depends}  interval: 1h\n"
            f"  path: ./kubernetes/apps/{ns}/{name}/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
            f"    name: flux-system\n    namespace: flux-system\n  targetNamespace: {ns}\n  wait: false\n")


def hr_homeops(name: str, values: str = "    replicaCount: 1\n", chart: str | None = None) -> str:
    return "---\n" + HOMEOPS.format("helm.toolkit.fluxcd.io/helmrelease_v2") + hr_2026(name, values, chart).removeprefix("---\n")


def oci_homeops(name: str) -> str:
    return "---\n" + HOMEOPS.format("source.toolkit.fluxcd.io/ocirepository_v1") + oci_2026(name).removeprefix("---\n")


def ns_kustomization_homeops(ns: str, *apps: str) -> str:
    return ("---\n" + SCHEMASTORE + f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\n\n"
            "components:\n  - ../../components/alerts\n\nresources:\n  - ./namespace.yaml\n"
            + "".join(f"  - ./{a}/ks.yaml\n" for a in apps))


ROOK_VALUES = "    cephBlockPools:\n      - name: ceph-blockpool\n        storageClass:\n          enabled: true\n          name: ceph-block\n          isDefault: true\n"


def home_ops(repo: Path) -> Path:
    """A home-ops repo (onedr0p/bjw-s style): home-operations schema comments, &app anchors without
    metadata.namespace, commonMetadata, no SOPS substitution, rook-ceph-cluster creating ceph-block,
    and a prometheus-operator-crds HelmRelease of its own."""
    write(repo, "kubernetes/flux/cluster/ks.yaml", FLUX_PATCH_2026)
    write(repo, "kubernetes/components/alerts/kustomization.yaml",
          "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: []\n")
    apps = {
        "default": {"echo": ("helmrelease.yaml", "ocirepository.yaml")},
        "network": {"envoy-gateway": ("envoy.yaml", "helmrelease.yaml", "ocirepository.yaml")},
        "rook-ceph": {"rook-ceph": ("helmrelease.yaml", "ocirepository.yaml"), "rook-ceph-cluster": ("helmrelease.yaml", "ocirepository.yaml")},
        "external-secrets": {"external-secrets": ("helmrelease.yaml", "ocirepository.yaml"), "onepassword": ("clustersecretstore.yaml",)},
        "kube-system": {"prometheus-operator-crds": ("helmrelease.yaml", "ocirepository.yaml")},
    }
    for ns, names in apps.items():
        write(repo, f"kubernetes/apps/{ns}/kustomization.yaml", ns_kustomization_homeops(ns, *names))
        write(repo, f"kubernetes/apps/{ns}/namespace.yaml", NAMESPACE.format(ns=ns))
        for name, resources in names.items():
            depends = "  dependsOn:\n    - name: rook-ceph\n      namespace: rook-ceph\n" if name == "rook-ceph-cluster" else ""
            write(repo, f"kubernetes/apps/{ns}/{name}/ks.yaml", ks_homeops(ns, name, depends))
            write(repo, f"kubernetes/apps/{ns}/{name}/app/kustomization.yaml", app_kustomization_2025(*resources))
            if "ocirepository.yaml" in resources:
                write(repo, f"kubernetes/apps/{ns}/{name}/app/ocirepository.yaml", oci_homeops(name))
                write(repo, f"kubernetes/apps/{ns}/{name}/app/helmrelease.yaml",
                      hr_homeops(name, ROOK_VALUES if name == "rook-ceph-cluster" else "    replicaCount: 1\n"))
    write(repo, "kubernetes/apps/network/envoy-gateway/app/envoy.yaml", ENVOY_GATEWAY.replace('"*.${SECRET_DOMAIN}"', '"*.example.io"'))
    write(repo, "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml", store("onepassword"))
    return repo


ERAS = {"2026": era_2026, "2025": era_2025, "home-ops": home_ops}
#: The app each era's ks.yaml are like (the template's own example app).
LIKE = {"2026": "default/echo", "2025": "default/echo", "home-ops": "default/echo"}
