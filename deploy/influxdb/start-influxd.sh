#!/usr/bin/env bash
# Starts a private influxd for Takt on a data dir of your choosing (no system service needed).
#   deploy/influxdb/start-influxd.sh [DATA_DIR] [HTTP_PORT]
# Default: ./.takt/influxdb and port 8086. Installs nothing: on Debian/Ubuntu `sudo apt-get install influxdb`.
set -euo pipefail
data="${1:-.takt/influxdb}"
port="${2:-8086}"
here="$(cd "$(dirname "$0")" && pwd)"
command -v influxd >/dev/null || { echo "influxd not found: sudo apt-get install -y influxdb" >&2; exit 2; }
mkdir -p "$data"
data="$(cd "$data" && pwd)"
conf="$data/influxd.conf"
sed -e "s#/var/lib/influxdb#$data#g" \
    -e "s#bind-address = \"127.0.0.1:8086\"#bind-address = \"127.0.0.1:$port\"#" \
    -e "s#bind-address = \"127.0.0.1:8088\"#bind-address = \"127.0.0.1:$((port + 2))\"#" \
    "$here/influxdb.conf" > "$conf"
echo "influxd: http://127.0.0.1:$port, data in $data" >&2
exec influxd run -config "$conf"
