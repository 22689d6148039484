# syntax=docker/dockerfile:1
#
# The provider (default target):     docker build -t idp .
# The demo apps (rp, service, api):  docker build --target examples -t idp-examples .
#
# The provider is the release build: GOEXPERIMENT=boringcrypto signs with
# BoringSSL (RSA-2048 signing about 1.75x the standard library's), which
# needs cgo and so glibc (distroless "base"). The demo apps are static
# (CGO_ENABLED=0; the SQLite driver is pure Go). Everything runs as the
# distroless "nonroot" user with nothing else in the image.

FROM golang:1.26 AS source
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

FROM source AS build-idp
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 GOEXPERIMENT=boringcrypto go build -ldflags="-s -w" -o /out/idp ./cmd/idp \
 && mkdir -p /out/data

FROM source AS build-examples
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/ ./examples/rp ./examples/service ./examples/api

FROM gcr.io/distroless/static-debian12:nonroot AS examples
COPY --from=build-examples /out/rp /out/service /out/api /usr/local/bin/
USER nonroot:nonroot
# No default program: run the image with --entrypoint rp, service or api.

FROM gcr.io/distroless/base-debian12:nonroot AS idp
COPY --from=build-idp /out/idp /usr/local/bin/idp
# With the default SQLite database, idp.db and its generated secret live
# here; mount a volume to keep them (docker run -v idp-data:/data ...).
# No VOLUME instruction: with PostgreSQL, as in docker-compose.yml, /data
# stays empty, and VOLUME would create an unused anonymous volume at every
# container creation.
COPY --from=build-idp --chown=nonroot:nonroot /out/data /data
WORKDIR /data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["idp"]
CMD ["serve"]
