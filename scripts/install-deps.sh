#!/usr/bin/env bash
# Installs the Debian packages RecServe builds against (Debian 12). Idempotent; needs root or sudo.
# The Swift 6 toolchain itself is a prerequisite (Debian 12 does not package it): see README.
set -euo pipefail
packages=(libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libopenblas-dev libdnnl-dev zlib1g-dev libmicrohttpd-dev prometheus pkg-config python3 python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
  echo "error: no 'swift' on PATH. Install a Swift 6.x toolchain for Linux and put its usr/bin on PATH." >&2
  exit 1
fi
