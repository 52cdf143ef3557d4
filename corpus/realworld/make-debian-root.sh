#!/bin/sh
# Makes a Debian root whose python3 writes the newer producers' fixtures: generate.py's `trixie`
# (Debian 13: numpy 2.2, pandas 2.2, scikit-learn 1.4, joblib 1.4, torch 2.6) and `sid` (numpy 2.4,
# pandas 3.0 from experimental, with pyarrow, scikit-learn 1.9, joblib 1.5, torch 2.14) interpreters.
# Needs root and Debian's debootstrap; 2-3 GB each.
# Usage: make-debian-root.sh trixie|sid [DIR]   (default DIR: /work/<release>)
set -eu
RELEASE=$1
ROOT=${2:-/work/$RELEASE}
command -v debootstrap >/dev/null || apt-get install -y debootstrap
debootstrap --variant=minbase "$RELEASE" "$ROOT" http://deb.debian.org/debian
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
APT="chroot $ROOT env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false"
PACKAGES="python3-numpy python3-sklearn python3-joblib python3-torch python3-tz"
if [ "$RELEASE" = sid ]; then
  echo "deb http://deb.debian.org/debian experimental main" > "$ROOT/etc/apt/sources.list.d/experimental.list"
  $APT update
  $APT install -y --no-install-recommends $PACKAGES python3-pyarrow
  $APT install -y --no-install-recommends -t experimental python3-pandas
else
  $APT update
  $APT install -y --no-install-recommends $PACKAGES python3-pandas
fi
