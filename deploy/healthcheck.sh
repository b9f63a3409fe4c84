#!/bin/bash
# GET /healthcheck on the admin port; exit 0 only on 200. Used by the image's HEALTHCHECK and the
# Kubernetes readiness probe. It needs only bash (no curl in the image), and the password goes from the
# environment into the request without ever being a command-line argument that ps would show.
set -euo pipefail

port="${ADMIN_PORT:-8081}"
auth=""
if [ -n "${ADMIN_PASSWORD:-}" ]; then
  auth="Authorization: Basic $(printf '%s:%s' "${ADMIN_USERNAME:-admin}" "$ADMIN_PASSWORD" | base64 -w0)"$'\r\n'
fi

exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /healthcheck HTTP/1.0\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$auth" >&3
read -r -t 10 _ status _ <&3
[ "$status" = "200" ]
