#!/usr/bin/env bash
# Builds Ollama v0.17.4 from the Go module proxy into .cache/ollama/bin/ollama (ignored by git), for
# interop/ollama/chat-parity.ts. Why it needs more than `go install`: interop/ollama/README.md.
# Needs Go ≥ 1.24, g++, pip, and the Debian packages nlohmann-json3-dev and libstb-dev.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/.cache/ollama"
for header in /usr/include/nlohmann/json.hpp /usr/include/stb/stb_image.h; do
  if [ ! -f "$header" ]; then
    echo "missing $header: apt-get install nlohmann-json3-dev libstb-dev" >&2
    exit 1
  fi
done
# llama.cpp's vendored miniaudio.h is not in the module zip and Debian has no package for it; the PyPI sdist of
# pyminiaudio carries the upstream single-file header (miniaudio 0.11.25).
if [ ! -f "$out/include/miniaudio/miniaudio.h" ]; then
  python3 -m pip download --quiet --no-deps --no-binary :all: miniaudio==1.71 -d "$out/sdist"
  mkdir -p "$out/include"
  tar xzf "$out/sdist/miniaudio-1.71.tar.gz" -C "$out/include" --strip-components=1 miniaudio-1.71/miniaudio/miniaudio.h
fi
# -p 1 and nice: the cgo build of llama.cpp is long (about 25 minutes on 2 busy cores) and should not starve others.
CGO_CPPFLAGS="-I$out/include" GOBIN="$out/bin" nice -n 19 go install -p 1 github.com/ollama/ollama@v0.17.4
echo "built $out/bin/ollama"
