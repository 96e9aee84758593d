#!/bin/bash
# Runs every test: installs missing packages, builds, runs the Swift test suites, then the
# guest (QEMU) tests when scripts/vm/run-tests.sh exists.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test --parallel
if [ -x scripts/vm/run-tests.sh ]; then scripts/vm/run-tests.sh; fi
