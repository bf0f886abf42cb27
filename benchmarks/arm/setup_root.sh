#!/usr/bin/env bash
# Build what insns_per_inference.py needs, in DIR (default /tmp/arm), on an x86-64 Debian 12 host:
# an arm64 Python 3.11 from Debian's arm64 packages (apt-get download + dpkg -x, no debootstrap),
# the ARM64 wheels of ai-edge-litert and numpy, a fake arm64 /proc/cpuinfo, and the TCG plugin.
# Needs root (apt), gcc, and a Python with pip for `pip download`.
set -euo pipefail
DIR=${1:-/tmp/arm}
PIP=${PIP:-pip}
HERE=$(cd "$(dirname "$0")" && pwd)
apt-get install -y -qq qemu-user gcc >/dev/null
dpkg --add-architecture arm64
apt-get update -qq
mkdir -p "$DIR/debs" "$DIR/root" "$DIR/site" "$DIR/wheels"
(cd "$DIR/debs" && apt-get download python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
    libpython3.11-stdlib:arm64 libc6:arm64 zlib1g:arm64 libexpat1:arm64 libffi8:arm64 libssl3:arm64 \
    libgcc-s1:arm64 libstdc++6:arm64 libbz2-1.0:arm64 liblzma5:arm64 libsqlite3-0:arm64 \
    libncursesw6:arm64 libtinfo6:arm64 libuuid1:arm64 libcrypt1:arm64)
for d in "$DIR"/debs/*.deb; do dpkg -x "$d" "$DIR/root"; done
# LiteRT's cpuinfo library parses /proc/cpuinfo; under qemu-user it sees the x86 host's and
# crashes (SIGSEGV at address 0x8). qemu-user looks paths up under its -L prefix first, so an
# arm64 cpuinfo there (one Cortex-A76 core, matching QEMU_CPU=cortex-a76) is what LiteRT reads.
mkdir -p "$DIR/root/proc" "$DIR/root/sys/devices/system/cpu"
printf 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' \
    > "$DIR/root/proc/cpuinfo"
echo 0 > "$DIR/root/sys/devices/system/cpu/possible"
echo 0 > "$DIR/root/sys/devices/system/cpu/present"
$PIP download $(for v in 17 27 28; do echo --platform manylinux_2_${v}_aarch64; done) --python-version 3.11 \
    --only-binary=:all: ai-edge-litert==2.3.0 numpy==2.4.6 -d "$DIR/wheels"
for w in "$DIR"/wheels/*.whl; do python3 -m zipfile -e "$w" "$DIR/site/"; done
gcc -shared -fPIC -O2 -o "$DIR/insn_count.so" "$HERE/insn_count.c"
echo "ready: $DIR (root, site, insn_count.so)"
