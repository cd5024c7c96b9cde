#!/usr/bin/env bash
# Runs the compiled test suite (node --test, arguments passed on) with a TMPDIR of its own that is removed
# afterwards, pass or fail. Tests make scratch SIFT_HOMEs, indexes and trained models in os.tmpdir(); one
# that forgets to remove its folder must not fill the disk of the machine that runs the suite again and
# again (a CI run once failed with ENOSPC that way).
set -euo pipefail
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sift-tests-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
TMPDIR="$scratch" node --test --test-concurrency=2 "$@"
