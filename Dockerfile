# snapsentry container image: the compiled binary on distroless (glibc, no shell, no package
# manager), running as the image's non-root user, daemon mode listening on every interface of the
# container (the daemon's default is loopback only).
#
#   docker build -t snapsentry \
#     --build-arg VERSION="$(git describe --tags --always)" \
#     --build-arg REVISION="$(git rev-parse --short=12 HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#   docker run --rm -p 8080:8080 \
#     -v "$PWD/clouds.yaml:/etc/openstack/clouds.yaml:ro" -e OS_CLOUD=mycloud snapsentry
#
# One-shot mode with the same image: `docker run --no-healthcheck … snapsentry create-snapshots`.
# The release workflow (.github/workflows/release.yml) builds and pushes ghcr.io/snapsentry/snapsentry,
# the image the Kubernetes manifests and the orchestrator's --workload-snapsentry-image default name.

# What the build stamps into the binary (`snapsentry version`) and the OCI labels. The build
# context has no .git (see .dockerignore), so the commit must come in as REVISION.
ARG VERSION=0.1.0
ARG REVISION=unknown
# RFC 3339; empty means the time of the build.
ARG CREATED=
ARG SOURCE_URL=https://github.com/snapsentry/snapsentry

# ---- build: `deno task compile` -> dist/snapsentry --------------------------------------------
FROM denoland/deno:debian-2.9.6 AS build
ARG VERSION
ARG REVISION
ARG CREATED
WORKDIR /src
# Dependencies first, so source edits do not refetch them.
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN deno install --frozen --entrypoint main.ts \
 && export SNAPSENTRY_VERSION="${VERSION}" SNAPSENTRY_COMMIT="${REVISION}" \
 && if [ -n "${CREATED}" ]; then export SOURCE_DATE_EPOCH="$(date -u -d "${CREATED}" +%s)"; fi \
 && deno task compile \
 && ./dist/snapsentry version \
 && mkdir -p /out \
 && ln -s /usr/local/bin/snapsentry /out/snapsentry-go

# ---- run ---------------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION
ARG REVISION
ARG CREATED
ARG SOURCE_URL
LABEL org.opencontainers.image.title="snapsentry" \
      org.opencontainers.image.description="Snapshot lifecycle manager for OpenStack Cinder: policies in volume metadata, snapshots when a window is due, deletion when they expire" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.url="${SOURCE_URL}" \
      org.opencontainers.image.documentation="${SOURCE_URL}#readme" \
      org.opencontainers.image.vendor="snapsentry" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"
COPY --from=build /src/dist/snapsentry /usr/local/bin/snapsentry
# SnapSentry-Go's image had its binary at /snapsentry-go, and manifests run
# `command: ["/snapsentry-go", …]`: keep that path as a symlink. Copying the folder (not the link
# itself) keeps it a link; distroless has no shell to make one here.
COPY --from=build /out/ /
# nonroot = uid/gid 65532; Kubernetes manifests set runAsUser: 65532 to match.
USER 65532:65532
ENV OS_CLIENT_CONFIG_FILE=/etc/openstack/clouds.yaml \
    SNAPSENTRY_LOG_FORMAT=json
EXPOSE 8080
# Docker's own health check: `snapsentry healthcheck` asks the daemon's /healthz on
# 127.0.0.1:8080 (the CMD below) and exits 0 or 1; distroless has no curl. Kubernetes ignores it
# and uses the probes on /healthz and /readyz (deploy/kubernetes-probes.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/snapsentry", "healthcheck", "--max-time", "5s"]
ENTRYPOINT ["/usr/local/bin/snapsentry"]
CMD ["daemon", "--bind-address", "0.0.0.0:8080"]
