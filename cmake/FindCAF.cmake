# Debian's libcaf-dev 0.17.6 ships no CMake config and no pkg-config file, so we find it by hand.
# -DCAF_ROOT=PREFIX takes headers and libraries from PREFIX only (e.g. the TSan-instrumented
# build of scripts/build_caf_tsan.sh): a mix with Debian's /usr/include/caf or libcaf_*.so would
# leave CAF's code uninstrumented or mismatch its headers.
set(CAF_ROOT "" CACHE PATH "Prefix of a CAF install to use instead of the system's")
# Paths cached by a configure with another CAF_ROOT (or none) are searched again.
if(NOT "${CAF_ROOT}" STREQUAL "${_CAF_ROOT_SEARCHED}")
  unset(CAF_INCLUDE_DIR CACHE)
  unset(CAF_CORE_LIBRARY CACHE)
  unset(CAF_IO_LIBRARY CACHE)
  unset(CAF_OPENSSL_LIBRARY CACHE)
  set(_CAF_ROOT_SEARCHED "${CAF_ROOT}" CACHE INTERNAL "CAF_ROOT of the cached CAF paths")
endif()
if(CAF_ROOT)
  set(_caf_where PATHS "${CAF_ROOT}" NO_DEFAULT_PATH)
  set(_caf_inc ${_caf_where} PATH_SUFFIXES include)
  set(_caf_lib ${_caf_where} PATH_SUFFIXES lib lib64)
else()
  set(_caf_inc)
  set(_caf_lib)
endif()
find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp ${_caf_inc})
find_library(CAF_CORE_LIBRARY NAMES caf_core ${_caf_lib})
find_library(CAF_IO_LIBRARY   NAMES caf_io ${_caf_lib})
find_library(CAF_OPENSSL_LIBRARY NAMES caf_openssl ${_caf_lib})
if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_ver REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_ver "${_caf_ver}")
  math(EXPR _maj "${_caf_ver} / 10000")
  math(EXPR _min "(${_caf_ver} / 100) % 100")
  math(EXPR _pat "${_caf_ver} % 100")
  set(CAF_VERSION "${_maj}.${_min}.${_pat}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_OPENSSL_LIBRARY CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION)
if(CAF_FOUND)
  find_package(Threads REQUIRED)
  if(NOT TARGET CAF::core)
    add_library(CAF::core SHARED IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(NOT TARGET CAF::io)
    add_library(CAF::io SHARED IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}" INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_OPENSSL_LIBRARY AND NOT TARGET CAF::openssl)
    add_library(CAF::openssl SHARED IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}" INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_OPENSSL_LIBRARY)
