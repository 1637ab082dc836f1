#!/usr/bin/env bash
# Makes localhost/debian:bookworm-slim with debootstrap, for hosts that cannot pull images.
# Skips the work when the image already exists. Needs root, debootstrap and podman.
set -euo pipefail
image=localhost/debian:bookworm-slim
if podman image exists "$image"; then echo "base image $image exists"; exit 0; fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm (minbase) into $rootfs"
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
rm -rf "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | podman import - "$image" >/dev/null
echo "imported $image"
