# `cmake --install`: the libraries with their headers and a CMake package (SonnetActors::...),
# the binaries, and the data files the binaries find at run time (core/paths.hpp):
#   bin/sonnet, bin/sonnetd
#   include/sonnet/<layer>/*.hpp          (a host includes "actors/service.hpp", as in the tree)
#   lib/libsonnet_*.a, lib/cmake/SonnetActors/
#   share/sonnet-actors/models/default.npz, configs/, cmudict-0.4.bin
include(CMakePackageConfigHelpers)

set(SONNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/SonnetActors)
set(SONNET_DATA_DEST ${CMAKE_INSTALL_DATADIR}/sonnet-actors)

# Library target -> exported name (SonnetActors::<name>), bottom layer first.
set(_sonnet_libs
  sonnet_core:core sonnet_text:text sonnet_model:model sonnet_persistence:persistence
  sonnet_emergent:emergent
  sonnet_messages:messages sonnet_actors:actors sonnet_json:json sonnet_http:http
  sonnet_train:train)
set(_sonnet_targets)
foreach(pair IN LISTS _sonnet_libs)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 target)
  list(GET pair 1 name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(${target} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/sonnet>)
  list(APPEND _sonnet_targets ${target})
endforeach()

install(TARGETS ${_sonnet_targets} EXPORT SonnetActorsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS sonnet sonnetd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# Headers keep their tree paths, so the same #include lines work in the tree and installed.
foreach(dir core text model persistence emergent messages actors http train)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sonnet/${dir}
    COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/models/default.npz
  DESTINATION ${SONNET_DATA_DEST}/models COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/configs/shakespeare_gpt.vocab ${PROJECT_SOURCE_DIR}/configs/sonnetd.conf
  DESTINATION ${SONNET_DATA_DEST}/configs COMPONENT runtime)
if(TARGET sonnet_dictionary)
  install(FILES ${CMAKE_BINARY_DIR}/share/cmudict-0.4.bin
    DESTINATION ${SONNET_DATA_DEST} COMPONENT runtime)
endif()

install(EXPORT SonnetActorsTargets NAMESPACE SonnetActors:: DESTINATION ${SONNET_CMAKE_DIR}
  COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SonnetActorsConfig.cmake.in
  ${CMAKE_BINARY_DIR}/SonnetActorsConfig.cmake INSTALL_DESTINATION ${SONNET_CMAKE_DIR}
  PATH_VARS SONNET_DATA_DEST)
# 0.x: a minor version may break the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/SonnetActorsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/SonnetActorsConfig.cmake
              ${CMAKE_BINARY_DIR}/SonnetActorsConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
  DESTINATION ${SONNET_CMAKE_DIR} COMPONENT dev)
