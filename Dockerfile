# Build the pocket binary, then run it on a slim base as an unprivileged user.
# The playground's built assets are committed (playground/dist), so no Node.js is needed here.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pocket

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/pocket --create-home pocket
COPY --from=build /src/target/release/pocket /usr/local/bin/pocket
USER pocket
WORKDIR /var/lib/pocket
# Inside a container the node must listen on all interfaces; it then refuses to start without
# POCKET_API_TOKEN (or POCKET_INSECURE=true).
ENV POCKET_LISTEN=0.0.0.0:8080 \
    POCKET_DATA_DIR=/var/lib/pocket \
    POCKET_DATABASE_URL=sqlite:///var/lib/pocket/pocket.db?mode=rwc
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["pocket"]
CMD ["serve"]
