#!/usr/bin/env bash
# The interop suite: checks loraforge against Hugging Face transformers/peft (and later llama.cpp), and
# rewrites the golden files under test/golden that `npm test` re-checks without Python.
# Each interop/check_*.sh or interop/*.py step is run in name order; each writes its own golden file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash interop/setup.sh
export PATH="$PWD/interop/.venv/bin:$PATH" OMP_WAIT_POLICY=PASSIVE
status=0
for step in interop/steps/*; do
  echo "== $step"
  case "$step" in
    *.py) python "$step" || status=1 ;;
    *.sh) bash "$step" || status=1 ;;
    *.ts) node --import tsx "$step" || status=1 ;;
  esac
done
exit $status
