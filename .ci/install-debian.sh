#!/usr/bin/env bash
# Install Debian packages a group of tests needs, quietly and idempotently.
#   bash .ci/install-debian.sh WHAT PROBE PACKAGE...
# WHAT names the tests in messages; PROBE is a file that exists once the packages are installed (nothing is
# done when it already does). Exits 1 (the tests are then skipped with a reason) when not root and no sudo.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: bash .ci/install-debian.sh WHAT PROBE PACKAGE..." >&2
    exit 2
fi
what="$1"
probe="$2"
shift 2

if [ -e "$probe" ]; then
    echo "$what: already installed ($probe)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "$what: not root and no sudo; its tests will be skipped" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
echo "$what: installed $* ($probe)"
