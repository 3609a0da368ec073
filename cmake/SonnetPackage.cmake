# Debian packages (CPack): `sonnet-actors` (the binaries, the default model and data files, the
# config in /etc, the systemd unit, man pages) and `libsonnet-actors-dev` (headers, static
# libraries, the CMake package). scripts/package.sh configures a build for it:
# -DCMAKE_INSTALL_PREFIX=/usr -DSONNET_DEB_LAYOUT=ON -DSONNET_NATIVE=OFF.
if(SONNET_DEB_LAYOUT)
  set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
  install(FILES ${PROJECT_SOURCE_DIR}/configs/sonnetd.conf DESTINATION /etc/sonnet-actors
    COMPONENT runtime)
  install(FILES ${_pkg}/sonnetd.service DESTINATION /lib/systemd/system COMPONENT runtime)
  # Debian wants man pages and changelogs compressed with gzip -9n (no name, no timestamp).
  set(_gz ${CMAKE_BINARY_DIR}/packaging)
  set(_gz_outputs)
  foreach(src man/sonnet.1 man/sonnetd.8 changelog)
    get_filename_component(name ${src} NAME)
    add_custom_command(OUTPUT ${_gz}/${name}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_gz}
      COMMAND gzip -9n -c ${_pkg}/${src} > ${_gz}/${name}.gz
      DEPENDS ${_pkg}/${src})
    list(APPEND _gz_outputs ${_gz}/${name}.gz)
  endforeach()
  add_custom_target(sonnet_package_docs ALL DEPENDS ${_gz_outputs})
  install(FILES ${_gz}/sonnet.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
  install(FILES ${_gz}/sonnetd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT runtime)
  foreach(pair sonnet-actors:runtime libsonnet-actors-dev:dev)
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 package)
    list(GET pair 1 component)
    install(FILES ${_pkg}/copyright DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
      COMPONENT ${component})
    install(FILES ${_gz}/changelog.gz DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
      RENAME changelog.Debian.gz COMPONENT ${component})
  endforeach()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sonnet-actors)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Sonnet Actors maintainers <maintainers@sonnet-actors.example.org>")
# Each description's first line is its synopsis (CPack would prepend a package summary to both).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME sonnet-actors)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "Shakespearean sonnets from a character-level transformer, as actors
sonnet writes 14-line sonnets with a small NanoGPT character-level model,
judges each against the sonnet cloud of everything written before and keeps
it in SQLite. sonnetd serves the same over the C++ Actor Framework's network
layer and HTTP, as a standalone node or a cluster; a systemd unit is included.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsonnet-actors-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_ARCHITECTURE amd64)
# The static libraries need what they were built against; the data files come with the binaries.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "sonnet-actors (= ${PROJECT_VERSION}-1), libcaf-dev (>= 0.17), libcaf-dev (<< 0.18), libeigen3-dev (>= 3.4), libsqlite3-dev, nlohmann-json3-dev, libboost-dev (>= 1.74) | libboost1.74-dev, libdeflate-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION "Sonnet Actors: development files for host programs
Headers, static libraries and the CMake package (find_package(SonnetActors),
target SonnetActors::actors) to embed the sonnet service's actors in a program
of one's own.")
include(CPack)
