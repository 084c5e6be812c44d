#!/bin/sh
# Runs before `npm test`. The seed-code tests (seed-code/tests, run by jest) need Debian's
# XGBoost, NumPy and pytest under /usr/bin/python3. When they are missing and this machine
# can install Debian packages without a password (root, or passwordless sudo), install
# them; otherwise say exactly what to install. LUMINA_NO_APT=1 turns the install off.
set -eu
PACKAGES="python3-xgboost python3-numpy python3-pytest"
if /usr/bin/python3 -c 'import xgboost, numpy, pytest' 2>/dev/null; then
  exit 0
fi
if [ "${LUMINA_NO_APT:-}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    SUDO="none"
  fi
  if [ "$SUDO" != "none" ]; then
    echo "pretest: installing Debian $PACKAGES for the seed-code tests (set LUMINA_NO_APT=1 to skip)" >&2
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PACKAGES >/dev/null
    /usr/bin/python3 -c 'import xgboost, numpy, pytest' && exit 0
  fi
fi
echo "pretest: the seed-code tests need /usr/bin/python3 with XGBoost, NumPy and pytest: sudo apt-get install $PACKAGES" >&2
exit 1
