#!/usr/bin/env bash
# The deploy steps of CD, in one script that GitHub Actions (.github/workflows/cd.yml) and
# `make e2e` (tests/e2e/cluster/test_cd_rehearsal.py, against the local cluster) both run:
#   1. remember the release's current revision;
#   2. helm upgrade --install (migrations run as the chart's pre-upgrade hook) and wait;
#   3. wait for the Deployments' rollouts;
#   4. smoke test: `helm test` (calls /readyz through the Service);
#   5. on any failure, roll back to the remembered revision and exit non-zero.
#
# Environment (required): RELEASE, NAMESPACE, IMAGE (repository), VERSION (tag).
# Optional: DIGEST (sha256:..., wins over the tag), VALUES (a values file), CHART
# (default deploy/helm/duka), TIMEOUT (default 10m), HELM / KUBECTL (binaries).
# Extra arguments are passed to `helm upgrade` (e.g. --set-string config.logLevel=debug).
set -euo pipefail

: "${RELEASE:?}" "${NAMESPACE:?}" "${IMAGE:?}" "${VERSION:?}"
CHART="${CHART:-deploy/helm/duka}"
TIMEOUT="${TIMEOUT:-10m}"
HELM="${HELM:-helm}"
KUBECTL="${KUBECTL:-kubectl}"

say() { printf '[deploy] %s\n' "$*"; }
warn() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::warning::$*"; else say "WARNING: $*"; fi
}

# The revision to roll back to: the newest one, whatever its status (empty: first install).
previous="$("$HELM" history "$RELEASE" -n "$NAMESPACE" --max 1 2>/dev/null | awk 'NR == 2 {print $1}' || true)"
say "release $RELEASE in $NAMESPACE: current revision ${previous:-none}"

rollback() {
  local status=$?
  trap - ERR
  say "deploy failed (exit $status)"
  "$KUBECTL" -n "$NAMESPACE" get pods -o wide || true
  if [ -n "$previous" ]; then
    "$HELM" rollback "$RELEASE" "$previous" -n "$NAMESPACE" --wait --timeout "$TIMEOUT"
    warn "rolled $RELEASE back to revision $previous"
  else
    warn "first install failed: nothing to roll back to; the release is left for inspection"
  fi
  exit 1
}
trap rollback ERR

values=()
if [ -n "${VALUES:-}" ]; then values=(--values "$VALUES"); fi
say "helm upgrade --install $RELEASE $CHART (image $IMAGE:$VERSION${DIGEST:+@$DIGEST})"
"$HELM" upgrade --install "$RELEASE" "$CHART" \
  --namespace "$NAMESPACE" \
  "${values[@]}" \
  --set-string image.repository="$IMAGE" \
  --set-string image.tag="$VERSION" \
  --set-string image.digest="${DIGEST:-}" \
  --wait --timeout "$TIMEOUT" \
  "$@"

say "waiting for the rollouts"
"$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$RELEASE-api" --timeout=5m
if "$KUBECTL" -n "$NAMESPACE" get "deployment/$RELEASE-flows" >/dev/null 2>&1; then
  "$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$RELEASE-flows" --timeout=5m
fi

say "smoke test: helm test"
"$HELM" test "$RELEASE" -n "$NAMESPACE" --logs --timeout 5m

say "deployed revision $("$HELM" history "$RELEASE" -n "$NAMESPACE" --max 1 | awk 'NR == 2 {print $1}')"
