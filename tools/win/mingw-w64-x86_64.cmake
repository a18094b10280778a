# CMake toolchain file: cross-compiles UsChat's desktop client for 64-bit Windows with Debian's
# mingw-w64 (gcc-mingw-w64-x86-64). Libraries are looked up only under the prefixes in
# CMAKE_PREFIX_PATH / USCHAT_WIN_DEPS (the cross-built SDL2, SDL2_ttf, FreeType, jansson,
# libcurl and msgpack-c of tools/win/win.sh), never in the build machine's /usr.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TOOLCHAIN_PREFIX x86_64-w64-mingw32)

# printf and friends as C99 says (%zu, %lld), not as msvcrt.dll does.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")

# The -posix variant: its libwinpthread gives C11/POSIX threads the -win32 one lacks.
find_program(CMAKE_C_COMPILER NAMES ${TOOLCHAIN_PREFIX}-gcc-posix ${TOOLCHAIN_PREFIX}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${TOOLCHAIN_PREFIX}-g++-posix ${TOOLCHAIN_PREFIX}-g++)
find_program(CMAKE_RC_COMPILER NAMES ${TOOLCHAIN_PREFIX}-windres REQUIRED)
set(CMAKE_AR ${TOOLCHAIN_PREFIX}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${TOOLCHAIN_PREFIX}-ranlib CACHE FILEPATH "")

if(DEFINED ENV{USCHAT_WIN_DEPS})
  set(USCHAT_WIN_DEPS $ENV{USCHAT_WIN_DEPS})
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES USCHAT_WIN_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${TOOLCHAIN_PREFIX} ${USCHAT_WIN_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the cross-built libraries' .pc files.
if(USCHAT_WIN_DEPS)
  set(ENV{PKG_CONFIG_LIBDIR} ${USCHAT_WIN_DEPS}/lib/pkgconfig:${USCHAT_WIN_DEPS}/share/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()

# Tests run the .exe files under wine (CTest prefixes every test command with it).
find_program(USCHAT_WINE NAMES wine64 wine)
if(USCHAT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${USCHAT_WINE})
endif()
