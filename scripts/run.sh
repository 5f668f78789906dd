#!/usr/bin/env bash
# The README's main command: installs what is needed, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/quiver --help
