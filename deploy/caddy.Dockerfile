# The TLS proxy in front of Sispam's web service: Debian's own Caddy package (bookworm: 2.6.2,
# the version tests/security/test_tls_proxy.py runs deploy/Caddyfile with). docker-compose.yml
# mounts the Caddyfile and the operator's certificates; Caddy's data (its local CA) is a volume.
FROM debian:bookworm-slim
# The package's own user, made first with a fixed uid so that an operator's key file can be
# given to it (chown 999, docs/deployment.md); the package's postinst keeps an existing one.
RUN groupadd --system --gid 999 caddy \
    && useradd --system --uid 999 --gid caddy --create-home --home-dir /var/lib/caddy \
        --shell /usr/sbin/nologin --comment "Caddy web server" caddy
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        'caddy=2.6.2-*' ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data /config /certs \
    && chown caddy:caddy /data /config
# Where Caddy keeps its CA and certificates (/data/caddy/pki/authorities/local/root.crt).
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
USER caddy
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
