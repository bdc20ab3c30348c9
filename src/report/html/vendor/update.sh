#!/usr/bin/env bash
# Re-vendors cytoscape.js (the graph drawing library of the HTML explorer) from the npm
# registry. To upgrade: change VERSION, run this script, check `cargo test html`, commit.
set -euo pipefail
cd "$(dirname "$0")"
VERSION=3.34.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "cytoscape@$VERSION" >/dev/null && tar xzf "cytoscape-$VERSION.tgz")
cp "$tmp/package/dist/cytoscape.min.js" cytoscape.min.js
cp "$tmp/package/LICENSE" LICENSE-cytoscape
printf 'cytoscape %s (MIT), from the npm registry: dist/cytoscape.min.js and LICENSE\n' "$VERSION" > README
echo "vendored cytoscape $VERSION"
