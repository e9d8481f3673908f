# snapsentry container image: the compiled binary on distroless (glibc, no shell, no package
# manager), running as the image's non-root user, daemon mode listening on every interface of the
# container (the daemon's default is loopback only).
#
#   docker build -t snapsentry .
#   docker run --rm -p 8080:8080 \
#     -v "$PWD/clouds.yaml:/etc/openstack/clouds.yaml:ro" -e OS_CLOUD=mycloud snapsentry
#
# One-shot mode with the same image: `docker run … snapsentry create-snapshots`.

# ---- build: `deno task compile` -> dist/snapsentry --------------------------------------------
FROM denoland/deno:debian-2.9.6 AS build
WORKDIR /src
# Dependencies first, so source edits do not refetch them.
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN deno install --frozen --entrypoint main.ts \
 && deno task compile \
 && ./dist/snapsentry version \
 && mkdir -p /out \
 && ln -s /usr/local/bin/snapsentry /out/snapsentry-go

# ---- run ---------------------------------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
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
# Docker's own health check needs a client binary in the image; distroless has none, so use the
# orchestrator's probes on /healthz and /readyz instead (deploy/kubernetes-probes.md).
ENTRYPOINT ["/usr/local/bin/snapsentry"]
CMD ["daemon", "--bind-address", "0.0.0.0:8080"]
