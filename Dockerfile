# syntax=docker/dockerfile:1.7
# One image, three processes (the command picks one):
#   API:          duka serve                 (the default CMD)
#   migrations:   duka migrate               (a Job / pre-upgrade hook, never at API start)
#   SMS flows:    python -m flows
#   operator:     kopf run -m duka_operator
# The base is pinned by tag; pin it by digest (python:3.11.14-slim-trixie@sha256:...) where a
# registry can be asked for the digest (docs/deploy.md, "Image").
ARG PYTHON_IMAGE=python:3.11.14-slim-trixie

FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
# Bytecode is compiled here because the runtime filesystem is read-only; copy mode because the
# cache mount and the venv live on different filesystems.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/duka/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# binutils for `strip` below: the builder stage only, never in the runtime image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change. Prefect's
# notification blocks' library (apprise, 9 MB, imported only when such a block sends) is left
# out: Duka sends its SMS itself and defines no Prefect notifications.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-default-groups --no-install-project \
        --no-install-package apprise
COPY . .
# GraphiQL's bundles come in with the context (`make graphiql` on the host; the image build
# runs it): no network for them here, and no image without them.
RUN test -f api/graphiql/vendor/graphiql.min.js \
    || { echo 'api/graphiql/vendor is empty: run make graphiql first' >&2; exit 1; }
# Non-editable: the project lands in the venv as a wheel, so the runtime needs no /src.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-default-groups --no-editable \
        --no-install-package apprise \
    && /opt/duka/venv/bin/duka --help >/dev/null
# Slimmer, same behaviour (docs/deploy.md, "Image"): the wheels' native extensions carry debug
# symbols (about 50 MB); type stubs, Cython sources, bundled test suites, files a wheel left at
# site-packages' top (kubernetes_asyncio's README, CHANGELOG, pyproject.toml), pycountry's
# translations (Duka reads only currency codes) and Prefect's web UIs (ui and ui-v2: this
# image runs Prefect's client only; the Prefect server and its UI are the duka-prefect image's)
# are never loaded at run time.
RUN find /opt/duka/venv -type f -name '*.so*' -exec strip --strip-unneeded {} + \
    && find /opt/duka/venv/lib/python3*/site-packages -type f \
       \( -name '*.pyi' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.c' -o -name '*.cpp' \
          -o -name '*.h' -o -name '*.hpp' \) -delete \
    && find /opt/duka/venv/lib/python3*/site-packages -mindepth 2 -maxdepth 2 -type d \
       -name tests -exec rm -rf {} + \
    && find /opt/duka/venv/lib/python3*/site-packages -maxdepth 1 -type f \
       \( -name '*.md' -o -name pyproject.toml \) -delete \
    && rm -rf /opt/duka/venv/lib/python3*/site-packages/pycountry/locales \
              /opt/duka/venv/lib/python3*/site-packages/prefect/server/ui \
              /opt/duka/venv/lib/python3*/site-packages/prefect/server/ui-v2 \
    && /opt/duka/venv/bin/duka --help >/dev/null

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/duka-dev/duka
LABEL org.opencontainers.image.title="duka" \
      org.opencontainers.image.description="Customers-and-orders API, SMS flow runner and Kubernetes operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
# A fixed numeric id so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 duka \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin duka
COPY --from=builder /opt/duka/venv /opt/duka/venv
# The container's network namespace is the boundary, so the API listens on all of its
# interfaces; HOME and PREFECT_HOME point at /tmp, the only writable place (an emptyDir).
ENV PATH=/opt/duka/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    PREFECT_HOME=/tmp/prefect \
    DUKA_ENVIRONMENT=production \
    DUKA_HOST=0.0.0.0 \
    DUKA_PORT=8000 \
    DUKA_STATE_DIR=/tmp/duka-state
WORKDIR /opt/duka
USER 10001:10001
EXPOSE 8000
# Only the API answers here; run the flow runner and the operator with --no-healthcheck
# (Kubernetes ignores HEALTHCHECK and uses the chart's probes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('DUKA_PORT', '8000') + '/healthz', timeout=4)"]
CMD ["duka", "serve"]
