#!/usr/bin/env bash
# install.lintian: Debian's package checker on the package install.package_deb built in DIR: no
# error-level tag (E:). Warnings and infos are printed, not failed on (e.g. an initial upload that
# closes no Debian bug, hardening flags the build does not set).   lintian_deb.sh DIR
set -euo pipefail
dir=$1
command -v lintian >/dev/null || { echo "install.lintian: lintian is missing: install it (scripts/install-deps.sh)" >&2; exit 1; }
debs=("$dir"/*.deb)
[ -f "${debs[0]}" ] || { echo "install.lintian: no .deb in $dir (install.package_deb makes it)" >&2; exit 1; }
set +e
out=$(lintian --fail-on error --display-info "${debs[0]}" 2>&1)
rc=$?
set -e
echo "$out" | grep -v 'running with root privileges' || true  # root's notice is not a tag
[ "$rc" = 0 ] || { echo "install.lintian: lintian exited $rc: errors (E: above) or a failure to run" >&2; exit 1; }
echo "install.lintian: no errors"
