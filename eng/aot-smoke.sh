#!/usr/bin/env bash
# Publishes test/FeatureFlags.AotSmoke with NativeAOT, fails on any trim/AOT (IL2xxx/IL3xxx) warning, prints the
# binary's size, and runs it (it checks its own results and exits non-zero on any mismatch). .ci/run calls this.
#
#   eng/aot-smoke.sh                 publish + run once
#   eng/aot-smoke.sh --measure 20    also time start-to-first-evaluation over 20 runs, NativeAOT vs the JIT
set -euo pipefail
cd "$(dirname "$0")/.."

runs=0
if [ "${1:-}" = "--measure" ]; then
  runs="${2:-20}"
fi

project=test/FeatureFlags.AotSmoke
out=artifacts/aot-smoke
log=artifacts/aot-smoke-publish.log
mkdir -p artifacts
rm -rf "$out"

started=$(date +%s)
status=0
dotnet publish "$project" -c Release -r linux-x64 -nologo -o "$out" >"$log" 2>&1 || status=$?
echo "aot: publish took $(( $(date +%s) - started )) s (log: $log)"
# The project turns these warnings into errors; the grep also catches any that a future change lets through as warnings.
if grep -E "(warning|error) IL[0-9]{4}" "$log" | sort -u; then
  echo "error: the NativeAOT publish reported trim/AOT warnings (above)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  tail -n 30 "$log" >&2
  echo "error: the NativeAOT publish failed" >&2
  exit 1
fi

binary="$out/FeatureFlags.AotSmoke"
# The online part serves a real server capture, read in place from the shared fixtures beside the clone.
fixture="$(cd .. && pwd)/shared/fixtures/real-server-captures/server-full-data-sync.json"
echo "aot: $(stat -c %s "$binary") bytes $binary"
# Every wait in the app is bounded; the timeout only guards CI against a hang.
timeout 300 "$binary" "$fixture" || { echo "error: the NativeAOT smoke app failed" >&2; exit 1; }

if [ "$runs" -gt 0 ]; then
  # Start-to-first-evaluation: shell clock before exec -> the app's clock at its first evaluation (it prints at-unix-us).
  dotnet build "$project" -c Release -nologo -v quiet >/dev/null
  jit_dll="$project/bin/Release/net10.0/FeatureFlags.AotSmoke.dll"
  measure() {
    local label=$1; shift
    local samples=()
    for _ in $(seq "$runs"); do
      local start_ns
      start_ns=$(date +%s%N)
      local at_us
      at_us=$("$@" "$fixture" | sed -n 's/.*at-unix-us=\([0-9]*\).*/\1/p')
      samples+=("$(( at_us - start_ns / 1000 ))")
    done
    printf '%s\n' "${samples[@]}" | sort -n | awk -v label="$label" -v n="$runs" '
      { v[NR] = $1 / 1000 }
      END { printf "aot: %s start-to-first-evaluation over %d runs: median %.1f ms, min %.1f ms, max %.1f ms\n",
            label, n, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), v[1], v[n] }'
  }
  measure "NativeAOT" "$binary"
  measure "JIT (dotnet FeatureFlags.AotSmoke.dll)" dotnet "$jit_dll"
fi
