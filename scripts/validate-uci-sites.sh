#!/usr/bin/env bash
# The network demonstration of docs/validation.md: the demo heart bundle validated at each of the four UCI
# heart disease sites (as if each were a hospital with its own Ed25519 key), then the four signed reports
# combined. Data: test/fixtures/uci-heart (CC BY 4.0, Janosi, Steinbrunn, Pfisterer, Detrano).
#   scripts/validate-uci-sites.sh [OUT]   (default OUT: docs/validation-uci-heart)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/validation-uci-heart}"
csv=test/fixtures/uci-heart/uci_heart_disease_4sites_920rows.csv
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
keys=()
for site in cleveland hungarian switzerland va; do
  { head -1 "$csv"; grep ",$site\$" "$csv"; } > "$work/$site.csv"
  # The site's key: the private half stays at the site (here: deleted with $work), the public half is shared.
  node bin/clinfer.mjs bundle keygen --out "$work/$site" > /dev/null
  cp "$work/$site.pub" "$out/$site.pub"
  # The UCI files code "not recorded" cholesterol and blood pressure as 0 (the bundle's intended_use says so).
  node bin/clinfer.mjs validate --models models --model heart-disease-risk --data "$work/$site.csv" --label target \
    --site "$site" --missing-code chol=0 --missing-code trestbps=0 --key "$work/$site.key" --out "$out/$site"
  keys+=(--key "$out/$site.pub")
done
node bin/clinfer.mjs validate combine "$out"/{cleveland,hungarian,switzerland,va}/report.json "${keys[@]}" --out "$out"
