"""``obs-wizard verify``: prove on the live cluster that the platform the answers describe is running, and
measure the plan's targets there (alert -> Slack within 3 minutes, a targeted log search within 30 s).

Owns: the kubectl client (``kube``: every request goes through the real ``kubectl``, so the kubeconfig, client
certificates and exec plugins work as they do for kubectl), the live checks (``checks``: Flux, storage, pods,
Prometheus, Alertmanager and the test alert, Loki and the canary line, Grafana), reading the repo's git HEAD
from ``.git`` (``gitref``: files only, git is never run), and the run with its ``--wait`` polling, report and
exit code (``run``). Read-only apart from one clearly labelled test alert and one canary log line.

May import: ``base``, ``answers``, ``repo``, ``render``, ``validate`` (its Report and Finding), ``onepassword``
(nothing from it today).
"""
