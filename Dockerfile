# landq's container for App Engine flexible (custom runtime) and anywhere
# else. One image, two services: LANDQ_COMMAND picks `webhook` (App Engine's
# `default` service) or `worker` (the `worker` service); `serve` runs both
# on the embedded bus and SQLite.
#
#   docker build -t landq .

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p landq \
 && install -D target/release/landq /out/landq

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/landq --create-home landq
COPY --from=build /out/landq /usr/local/bin/landq
USER landq
WORKDIR /var/lib/landq
# App Engine sets PORT (8080); landq listens on 0.0.0.0:$PORT.
ENV PORT=8080 LANDQ_COMMAND=serve
EXPOSE 8080
CMD ["/bin/sh", "-c", "exec /usr/local/bin/landq \"$LANDQ_COMMAND\""]
