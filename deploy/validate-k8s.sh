#!/usr/bin/env bash
# Schema-checks deploy/k8s/*.yaml (strict: unknown fields fail) with kubernetes-validate from PyPI,
# which carries the Kubernetes schemas itself, so no cluster is needed.
set -euo pipefail
cd "$(dirname "$0")/k8s"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "kubernetes-validate==1.37.0"
kubernetes-validate --strict *.yaml
