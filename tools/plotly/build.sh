#!/usr/bin/env bash
# Rebuilds assets/plotly-partial.min.js: plotly.js (the version pinned in package.json and
# package-lock.json) with only the heatmap, scatter and scattergl traces. Run from anywhere;
# needs node >= 18 and the npm registry. `--check` rebuilds into a temporary copy and fails
# if it differs from the committed file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
npm ci --no-audit --no-fund --ignore-scripts=false >/dev/null
if [[ "${1:-}" == "--check" ]]; then
  cp ../../assets/plotly-partial.min.js "$here/.committed.js"
  trap 'mv "$here/.committed.js" ../../assets/plotly-partial.min.js' EXIT
  node build.mjs
  cmp -s ../../assets/plotly-partial.min.js "$here/.committed.js" \
    || { echo "assets/plotly-partial.min.js is not what tools/plotly/build.sh builds" >&2; exit 1; }
  echo "assets/plotly-partial.min.js matches its build"
else
  node build.mjs
fi
