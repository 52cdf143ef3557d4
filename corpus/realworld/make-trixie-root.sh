#!/bin/sh
# Makes the Debian 13 (trixie) root whose python3 writes the newer producers' fixtures
# (numpy 2.2, pandas 2.2, scikit-learn 1.4, joblib 1.4, torch 2.6): generate.py's `trixie` interpreter.
# Needs root and Debian's debootstrap; about 2 GB. Usage: make-trixie-root.sh [DIR] (default /work/trixie)
set -eu
ROOT=${1:-${PICKLEGUARD_TRIXIE_ROOT:-/work/trixie}}
command -v debootstrap >/dev/null || apt-get install -y debootstrap
debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
chroot "$ROOT" apt-get update
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  python3-numpy python3-pandas python3-sklearn python3-joblib python3-torch python3-tz
