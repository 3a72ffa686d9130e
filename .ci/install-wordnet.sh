#!/usr/bin/env bash
# Install Debian's WordNet 3.0 database (`wordnet-base`, /usr/share/wordnet) for the distractor confusion
# guard of labels outside the bundled set (s2h_dataset/lexicon.py). Quiet, idempotent.
set -euo pipefail

if [ -f /usr/share/wordnet/index.noun ]; then
    echo "wordnet already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-wordnet: not root and no sudo; WordNet tests will be skipped" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends wordnet-base >/dev/null
echo "wordnet installed"
