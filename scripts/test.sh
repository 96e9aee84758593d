#!/bin/bash
# Runs every test: installs missing packages, builds, runs the Swift test suites, then the
# fuzz targets briefly (TDPTRACE_SKIP_FUZZ=1 skips them), then the guest (QEMU) tests when
# scripts/vm/run-tests.sh exists.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test --parallel
# libFuzzer targets, a fixed number of runs each (docs/fuzzing.md).
if [ "${TDPTRACE_SKIP_FUZZ:-0}" != 1 ]; then scripts/fuzz.sh --ci; fi
if [ -x scripts/vm/run-tests.sh ]; then scripts/vm/run-tests.sh; fi
