#!/usr/bin/env bash
# Certificates for a TLS cluster: a cluster CA and one certificate per node, each naming the
# address (or host name) the node is reached by in its subjectAltName.
#   scripts/cluster_certs.sh DIR NAME=ADDRESS [NAME=ADDRESS ...]
# writes DIR/ca.pem, DIR/ca.key and DIR/NAME.pem, DIR/NAME.key for every node (valid 30 days,
# SONNET_CERT_DAYS to change). Give each node its own files in [openssl] certificate / key,
# and ca.pem as cafile; a client takes SONNET_TLS_CERT / _KEY / _CA.
# CAF 0.17 checks that a peer's certificate chains to the CA, not the name in it: membership
# in the cluster is what TLS authenticates. The names are there for tools that do check them
# (openssl s_client -verify_ip ADDRESS, a TLS proxy in front of a node).
set -euo pipefail
if [[ $# -lt 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,10p' "$0"
  exit $([[ $# -lt 2 ]] && echo 2 || echo 0)
fi
dir="$1"
shift
days="${SONNET_CERT_DAYS:-30}"
mkdir -p "$dir"
cd "$dir"
if [[ ! -f ca.pem ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
    -subj "/CN=sonnet-actors cluster CA" 2>/dev/null
fi
for spec in "$@"; do
  name="${spec%%=*}"
  addr="${spec#*=}"
  if [[ -z $name || -z $addr || $name == "$spec" ]]; then
    echo "cluster_certs: expected NAME=ADDRESS, got '$spec'" >&2
    exit 2
  fi
  if [[ $addr =~ ^[0-9.]+$ || $addr == *:* ]]; then san="IP:$addr"; else san="DNS:$addr"; fi
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$addr" \
    -addext "subjectAltName=$san" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" \
    -days "$days" -copy_extensions copyall 2>/dev/null
  rm -f "$name.csr"
  echo "cluster_certs: $dir/$name.pem for $san"
done
