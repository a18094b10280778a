#!/usr/bin/env bash
# tools/win/win.sh (run as `tools/uschat win ...`): the Windows build of the desktop client,
# cross-compiled on Debian with mingw-w64 and tested under wine64.
#
#   tools/uschat win packages   the Debian packages below and a deb-src line for bookworm
#   tools/uschat win deps    packages + fetch the Debian source packages of the client's
#                            libraries (libsdl2, libsdl2-ttf, libsdl2-image, freetype, jansson,
#                            curl, msgpack-c) and cross-build them once into a cache keyed by
#                            their versions
#   tools/uschat win build   deps + uschat-client.exe and the unit tests (.exe) in build-win/
#   tools/uschat win test [ctest args]   build + the client library's and model's unit tests
#                            (and the UI tests, dummy video driver) under wine
#   tools/uschat win e2e     build + the real uschat-client.exe under Xvfb and wine logging in
#                            to the local stack (tools/uschat up) and trading a message with a
#                            Linux client (tools/win/e2e.sh)
#   tools/uschat win zip     build + out/uschat-client-win64.zip: the .exe, its DLLs, a font
#
# USCHAT_WIN_DEPS_DIR moves the library cache (default var/win-deps), USCHAT_BUILD_DIR_WIN the
# build folder (default build-win), USCHAT_JOBS the -j (default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$ROOT"
DEPS_DIR=${USCHAT_WIN_DEPS_DIR:-$ROOT/var/win-deps}
BUILD=${USCHAT_BUILD_DIR_WIN:-$ROOT/build-win}
JOBS=${USCHAT_JOBS:-2}
TOOLCHAIN=$ROOT/tools/win/mingw-w64-x86_64.cmake
HOST=x86_64-w64-mingw32
# The Debian source packages of the client's libraries.
SOURCES=(freetype libsdl2 libsdl2-ttf libsdl2-image jansson msgpack-c curl)
PACKAGES=(mingw-w64 wine wine64 dpkg-dev cmake ninja-build pkg-config xvfb zip xdotool x11-apps netpbm
    fonts-wqy-microhei)
# Bump when a recipe below changes: the cache key includes it.
RECIPE=2
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

say() { printf 'uschat win: %s\n' "$*" >&2; }
die() {
    printf 'uschat win: %s\n' "$*" >&2
    exit 1
}

# ---- deps -------------------------------------------------------------------------------

s_apt_packages() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# apt-get source needs a deb-src line; the archive is the one the binary packages come from.
s_deb_src() {
    if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ || grep -qs '^deb-src' /etc/apt/sources.list; then
        apt-cache showsrc libsdl2 >/dev/null 2>&1 && return 0
    fi
    local uri
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    [[ -n $uri ]] || uri=http://deb.debian.org/debian
    say "adding a deb-src line for bookworm ($uri)"
    cat >/etc/apt/sources.list.d/uschat-debsrc.sources <<EOF
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
}

# "freetype_2.12.1+dfsg-5+deb12u4 libsdl2_2.26.5+dfsg-1 ...": what the cache is keyed by.
s_versions() {
    local src
    for src in "${SOURCES[@]}"; do
        printf '%s_%s\n' "$src" "$(apt-cache showsrc "$src" | awk '/^Version:/ { print $2 }' | sort -V | tail -1)"
    done
}

# Fetches and unpacks (with Debian's patches) one source package into $DEPS_DIR/src/.
s_fetch() {
    local src=$1 ver=$2 dir=$DEPS_DIR/src/$1
    [[ -f $dir/.unpacked-$ver ]] && return 0
    mkdir -p "$DEPS_DIR/src"
    (cd "$DEPS_DIR/src" && apt-get source --download-only -qq "$src=$ver" >/dev/null 2>&1) ||
        die "apt-get source $src=$ver failed"
    rm -rf "$dir"
    (cd "$DEPS_DIR/src" && dpkg-source --no-check -x "${src}_${ver#*:}.dsc" "$src" >/dev/null) ||
        die "dpkg-source -x $src failed"
    touch "$dir/.unpacked-$ver"
}

# One CMake project of a source package, cross-built and installed into the prefix.
s_cmake() {
    local src=$1
    shift
    local b=$DEPS_DIR/build/$src
    rm -rf "$b"
    mkdir -p "$b"
    cmake -S "$DEPS_DIR/src/$src" -B "$b" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DCMAKE_PREFIX_PATH="$PREFIX" -DBUILD_SHARED_LIBS=ON "$@" >"$b.log" 2>&1 ||
        die "configuring $src failed, see $b.log"
    cmake --build "$b" -j "$JOBS" >>"$b.log" 2>&1 || die "building $src failed, see $b.log"
    cmake --install "$b" >>"$b.log" 2>&1 || die "installing $src failed, see $b.log"
}

# What each library is built with: only what the client uses, shared, no programs, tests or
# docs. FreeType without zlib, bzip2, PNG, Brotli and HarfBuzz (the client's fonts are plain
# TrueType collections); SDL2 with video, render and events only (no audio, joystick,
# haptic, sensors, Vulkan, GLES); SDL2_image with its built-in decoders only (stb_image for
# PNG and JPEG, its own GIF and BMP; WebP would need libwebp); libcurl with HTTP only and
# Schannel (Windows' own TLS) instead of OpenSSL, and no CA bundle lookup.
s_build_one() {
    case $1 in
        freetype)
            s_cmake freetype -DFT_DISABLE_ZLIB=ON -DFT_DISABLE_BZIP2=ON -DFT_DISABLE_PNG=ON \
                -DFT_DISABLE_HARFBUZZ=ON -DFT_DISABLE_BROTLI=ON
            ;;
        libsdl2)
            s_cmake libsdl2 -DSDL_SHARED=ON -DSDL_STATIC=OFF -DSDL_TEST=OFF -DSDL2_DISABLE_SDL2MAIN=OFF \
                -DSDL_AUDIO=OFF -DSDL_JOYSTICK=OFF -DSDL_HAPTIC=OFF -DSDL_HIDAPI=OFF -DSDL_SENSOR=OFF \
                -DSDL_POWER=OFF -DSDL_VULKAN=OFF -DSDL_OPENGLES=OFF -DSDL_DISKAUDIO=OFF \
                -DSDL_DUMMYAUDIO=OFF -DSDL_WASAPI=OFF -DSDL_XINPUT=OFF -DSDL_CCACHE=OFF
            ;;
        libsdl2-ttf)
            s_cmake libsdl2-ttf -DSDL2TTF_HARFBUZZ=OFF -DSDL2TTF_VENDORED=OFF -DSDL2TTF_SAMPLES=OFF
            ;;
        libsdl2-image)
            s_cmake libsdl2-image -DSDL2IMAGE_VENDORED=OFF -DSDL2IMAGE_BACKEND_STB=ON \
                -DSDL2IMAGE_DEPS_SHARED=OFF -DSDL2IMAGE_SAMPLES=OFF -DSDL2IMAGE_TESTS=OFF \
                -DSDL2IMAGE_PNG=ON -DSDL2IMAGE_JPG=ON -DSDL2IMAGE_GIF=ON -DSDL2IMAGE_BMP=ON \
                -DSDL2IMAGE_AVIF=OFF -DSDL2IMAGE_JXL=OFF -DSDL2IMAGE_TIF=OFF -DSDL2IMAGE_WEBP=OFF \
                -DSDL2IMAGE_LBM=OFF -DSDL2IMAGE_PCX=OFF -DSDL2IMAGE_PNM=OFF -DSDL2IMAGE_QOI=OFF \
                -DSDL2IMAGE_SVG=OFF -DSDL2IMAGE_TGA=OFF -DSDL2IMAGE_XCF=OFF -DSDL2IMAGE_XPM=OFF \
                -DSDL2IMAGE_XV=OFF -DSDL2IMAGE_JPG_SAVE=OFF
            ;;
        jansson)
            s_cmake jansson -DJANSSON_BUILD_SHARED_LIBS=ON -DJANSSON_BUILD_DOCS=OFF \
                -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF
            ;;
        msgpack-c)
            s_cmake msgpack-c -DMSGPACK_BUILD_TESTS=OFF -DMSGPACK_BUILD_EXAMPLES=OFF \
                -DMSGPACK_ENABLE_SHARED=ON -DMSGPACK_ENABLE_STATIC=OFF
            ;;
        curl)
            s_cmake curl -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DHTTP_ONLY=ON \
                -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DCURL_ZLIB=OFF -DUSE_LIBIDN2=OFF \
                -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_DISABLE_LDAP=ON \
                -DENABLE_MANUAL=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF \
                -DPICKY_COMPILER=OFF -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
                -DENABLE_UNIX_SOCKETS=OFF
            ;;
    esac
}

# Fetches and builds the libraries of one chain, in order, each once (a marker in the prefix).
s_chain() {
    local src ver t
    for src in "$@"; do
        ver=$(awk -v s="$src" -F_ '$1 == s { print $2 }' <<<"$VERSIONS")
        [[ -f $PREFIX/.built-$src ]] && continue
        t=$SECONDS
        s_build_one "$src"
        touch "$PREFIX/.built-$src"
        say "$src $ver: $((SECONDS - t)) s"
    done
}

cmd_deps() {
    s_apt_packages
    s_deb_src
    local key start=$SECONDS pids=() p rc=0 src ver
    VERSIONS=$(s_versions)
    key=$( (echo "recipe $RECIPE"; echo "$VERSIONS"; x86_64-w64-mingw32-gcc-posix -dumpversion) |
        sha256sum | cut -c1-12)
    PREFIX=$DEPS_DIR/$key
    export USCHAT_WIN_DEPS=$PREFIX
    mkdir -p "$PREFIX"
    if [[ -f $PREFIX/.complete ]]; then
        echo "$PREFIX"
        return 0
    fi
    say "cross-building the client's libraries into $PREFIX"
    while IFS=_ read -r src ver; do s_fetch "$src" "$ver"; done <<<"$VERSIONS"
    # Three independent chains side by side: most of each library's time is its configure
    # step, one compiler process at a time, so two cores take two or three of them at once.
    # SDL2_ttf needs FreeType and SDL2, so it comes last.
    s_chain libsdl2 libsdl2-image &
    pids+=($!)
    s_chain curl &
    pids+=($!)
    s_chain freetype jansson msgpack-c &
    pids+=($!)
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    ((rc == 0)) || die "a library failed to build (logs in $DEPS_DIR/build/)"
    s_chain libsdl2-ttf
    echo "$VERSIONS" >"$PREFIX/VERSIONS"
    touch "$PREFIX/.complete"
    rm -rf "$DEPS_DIR/build"
    say "libraries ready in $((SECONDS - start)) s"
    echo "$PREFIX"
}

# ---- build, test, zip -------------------------------------------------------------------

s_prefix() {
    PREFIX=$(cmd_deps | tail -1)
    [[ -f $PREFIX/.complete ]] || die "the cross-built libraries are missing"
    export USCHAT_WIN_DEPS=$PREFIX
}

# The folders wine looks for DLLs in: the libraries' and the mingw runtime's.
s_winepath() {
    local gccdir runtime=/usr/$HOST/lib
    gccdir=$(dirname "$(x86_64-w64-mingw32-gcc-posix -print-libgcc-file-name)")
    printf 'Z:%s;Z:%s;Z:%s' "${PREFIX//\//\\}\\bin" "${gccdir//\//\\}" "${runtime//\//\\}"
}

cmd_build() {
    s_prefix
    local start=$SECONDS
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DUSCHAT_CLIENT_ONLY=ON -DUSCHAT_WIN_DEPS="$PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DUSCHAT_WERROR=ON >/dev/null
    cmake --build "$BUILD" -j "$JOBS"
    say "built in $((SECONDS - start)) s: $BUILD/client_sdl/uschat-client.exe"
}

# wine's first start creates its prefix (~/.wine, a few seconds); done once, quietly.
s_wine_env() {
    export WINEPATH WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
    WINEPATH=$(s_winepath)
    wineboot -i >/dev/null 2>&1 || true
    # one wineserver for all the tests instead of one started (seconds) per .exe
    wineserver -p120 >/dev/null 2>&1 || true
}

cmd_test() {
    cmd_build
    s_wine_env
    local start=$SECONDS rc=0
    (cd "$BUILD" && ctest --output-on-failure --timeout 300 "$@") || rc=$?
    say "tests under wine: $((SECONDS - start)) s, exit $rc"
    return "$rc"
}

cmd_e2e() {
    cmd_build
    s_wine_env
    exec "$ROOT/tools/win/e2e.sh" "$BUILD/client_sdl/uschat-client.exe"
}

cmd_zip() {
    cmd_build
    local stage=$BUILD/zip/uschat-client gccdir dll
    gccdir=$(dirname "$(x86_64-w64-mingw32-gcc-posix -print-libgcc-file-name)")
    rm -rf "$BUILD/zip"
    mkdir -p "$stage/fonts" "$ROOT/out"
    cp "$BUILD/client_sdl/uschat-client.exe" "$stage/"
    cp "$PREFIX"/bin/*.dll "$stage/"
    for dll in libgcc_s_seh-1.dll libwinpthread-1.dll; do
        if [[ -f $gccdir/$dll ]]; then cp "$gccdir/$dll" "$stage/"; fi
        if [[ -f /usr/$HOST/lib/$dll ]]; then cp "/usr/$HOST/lib/$dll" "$stage/"; fi
    done
    cp "$FONT" "$stage/fonts/"
    cp /usr/share/doc/fonts-wqy-microhei/copyright "$stage/fonts/wqy-microhei.copyright" 2>/dev/null || true
    "$HOST-strip" "$stage"/*.exe "$stage"/*.dll
    rm -f "$ROOT/out/uschat-client-win64.zip"
    (cd "$BUILD/zip" && zip -qr "$ROOT/out/uschat-client-win64.zip" uschat-client)
    say "out/uschat-client-win64.zip: $(du -h "$ROOT/out/uschat-client-win64.zip" | cut -f1)"
}

cmd=${1:-help}
shift || true
case $cmd in
    packages)
        s_apt_packages
        s_deb_src
        ;;
    deps) cmd_deps ;;
    build) cmd_build ;;
    test) cmd_test "$@" ;;
    e2e) cmd_e2e ;;
    zip) cmd_zip ;;
    *)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
        [[ $cmd == help ]]
        ;;
esac
