#!/usr/bin/env bash
# Packs the Release build (no rebuild) and checks each package's .nuspec: its README and icon are packed and named,
# the repository URL is set, and FeatureFlags.AspNetCore, FeatureFlags.Testing and FeatureFlags.Redis depend on the exact version of
# FeatureFlags ([x]). Run after `dotnet build FeatureFlags.AspNetCore.sln -c Release`. Exits non-zero on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet pack FeatureFlags.AspNetCore.sln -c Release --no-build -nologo -o "$out" >/dev/null

problems=0
problem() {
  echo "error: $1" >&2
  problems=$((problems + 1))
}

for id in FeatureFlags FeatureFlags.AspNetCore FeatureFlags.Testing FeatureFlags.Redis; do
  pkg=$(ls "$out"/"$id".[0-9]*.nupkg 2>/dev/null | grep -v '\.symbols\.' | head -n 1 || true)
  if [ -z "$pkg" ]; then
    problem "$id: no package was produced"
    continue
  fi
  version=$(basename "$pkg" .nupkg)
  version=${version#"$id".}
  nuspec=$(unzip -p "$pkg" "$id.nuspec")
  files=$(unzip -Z1 "$pkg")
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || problem "$id: the nuspec names no README.md"
  grep -qx 'README.md' <<<"$files" || problem "$id: README.md is not packed"
  grep -q '<icon>icon.png</icon>' <<<"$nuspec" || problem "$id: the nuspec names no icon.png"
  grep -qx 'icon.png' <<<"$files" || problem "$id: icon.png is not packed"
  grep -q '<repository type="git" url="https://' <<<"$nuspec" || problem "$id: no repository URL"
  if unzip -p "$pkg" README.md | grep -Eq '\]\((\.\./|docs/|\./)'; then
    problem "$id: README.md has a relative link, which is broken on the package page"
  fi
  if [ "$id" != FeatureFlags ]; then
    grep -q "<dependency id=\"FeatureFlags\" version=\"\[$version\]\"" <<<"$nuspec" \
      || problem "$id: does not depend on exactly FeatureFlags [$version]"
  fi
  echo "$id $version: readme, icon, repository$([ "$id" != FeatureFlags ] && echo ", FeatureFlags [$version]") ok"
done

exit $((problems > 0))
