#!/usr/bin/env bash
# The real peers the tests run against, from Debian: installed when missing (as root), else named with
# the one command that installs them, and a non-zero exit before any test runs. Used by `npm test`
# (pretest) and by .ci/run, so a newcomer's machine and CI install the same things.
set -euo pipefail

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v storescu >/dev/null && command -v dcmdump >/dev/null && command -v img2dcm >/dev/null || need+=(dcmtk)
command -v dciodvfy >/dev/null || need+=(dicom3tools)
command -v Orthanc >/dev/null || command -v orthanc >/dev/null || need+=(orthanc)
[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || need+=(orthanc-dicomweb)
command -v chromium >/dev/null || need+=(chromium)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The tests need these Debian packages, which are missing: ${need[*]}" >&2
  echo "Install them once with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
echo "installing the tests' peers from Debian: ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
