# SPDX-License-Identifier: Apache-2.0
"""pip-tags.py: the oracle for wheel tags, from the pip being run.

    python3 pip-tags.py platforms|tags X.Y OS/ARCH [--glibc MINOR | --musl MINOR]

`platforms` is what pip's vendored packaging (_manylinux, _musllinux) lists on a
Linux machine whose C library is glibc 2.MINOR (default 17) or musl 1.MINOR, with
its machine checks pinned to say yes, then linux_ARCH; on Windows win_amd64 and
its kind. `tags` is pip's own get_supported() (what `pip download --python-version
X.Y --platform P...` uses) over those platforms. Nothing of airlock is used.
"""
import sys

from pip._internal.utils import compatibility_tags
from pip._vendor.packaging import _manylinux, _musllinux

ARCH = {"linux/amd64": "x86_64", "linux/386": "i686", "linux/arm64": "aarch64",
        "linux/arm/v7": "armv7l", "linux/ppc64le": "ppc64le", "linux/s390x": "s390x"}
WIN = {"windows/amd64": "win_amd64", "windows/386": "win32", "windows/arm64": "win_arm64"}


def platforms(plat, libc, minor):
    if plat in WIN:
        return [WIN[plat]]
    arch = ARCH[plat]
    if libc == "glibc":
        _manylinux._get_glibc_version = lambda: (2, minor)
        _manylinux._have_compatible_abi = lambda *a: True
        _manylinux._is_compatible = lambda name, arch, version: version <= (2, minor)
        out = list(_manylinux.platform_tags("linux_" + arch, arch))
    else:
        _musllinux._get_musl_version = lambda exe: _musllinux._MuslVersion(1, minor)
        out = list(_musllinux.platform_tags(arch))
    return out + ["linux_" + arch]


def main():
    what, py, plat = sys.argv[1:4]
    libc, minor = "glibc", 17
    if len(sys.argv) > 4:
        libc, minor = sys.argv[4][2:], int(sys.argv[5])
    pl = platforms(plat, libc, minor)
    if what == "platforms":
        print("\n".join(pl))
        return
    tags = compatibility_tags.get_supported(version=py.replace(".", ""), platforms=pl, impl="cp")
    print("\n".join(str(t) for t in tags))


main()
