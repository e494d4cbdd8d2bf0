#!/usr/bin/env bash
# Adds every new public symbol of src/ to its PublicAPI.Unshipped.txt (the PublicApiAnalyzers code fix, run headless).
set -euo pipefail
cd "$(dirname "$0")/.."
for p in src/*/*.csproj; do
  dotnet format analyzers "$p" --diagnostics RS0016 RS0017 --severity info
done
