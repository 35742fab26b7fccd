#!/usr/bin/env bash
# Install Debian packages that are not installed yet.
#
#   scripts/apt-install.sh PACKAGE...
#
# Runs `apt-get update` only when something is missing (and at most once per boot: a stamp in
# the temporary directory remembers it), then installs the missing packages without prompts.
# Needs root, or sudo without a password.
set -euo pipefail

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "apt-install: ${missing[*]} missing; install them as root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

echo "apt-install: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
STAMP="${TMPDIR:-/tmp}/forecaster-apt-updated"
if [ ! -f "$STAMP" ]; then
    "${SUDO[@]}" apt-get update -qq
    touch "$STAMP"
fi
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
