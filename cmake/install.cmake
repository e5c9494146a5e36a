# Install layout and the Debian package.
#
#   cmake --install BUILD [--prefix P]   (DESTDIR honoured)
#     bin/pollster                          component runtime
#     bin/pollster-bench, bin/pollster-gen  component bench (not in the .deb)
#     share/pollster/reporting.sql.gz       where schema_load(NULL) looks
#     share/man/man1/pollster.1.gz, share/man/man5/pollster.yaml.5.gz
#     SYSCONFDIR/pollster/pollster.yaml     only when none is there yet
#     POLLSTER_SYSTEMD_UNITDIR/pollster.service
#   cpack -G DEB                            the runtime component as pollster_*.deb
#
# With the /usr prefix GNUInstallDirs puts SYSCONFDIR at /etc, so the config
# lands in /etc/pollster whether installed by hand or from the package.

set(POLLSTER_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/pollster")
# Relative unless GNUInstallDirs made it absolute (/usr prefix): then
# `cmake --install --prefix P` still relocates it.
if(POLLSTER_CONF_DIR MATCHES "^${CMAKE_INSTALL_PREFIX}/")
  set(POLLSTER_CONF_DIR "${CMAKE_INSTALL_SYSCONFDIR}/pollster")
endif()
# Debian (bookworm) keeps the units of packages in /lib, not /usr/lib.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_unitdir_default "/lib/systemd/system")
else()
  set(_unitdir_default "lib/systemd/system")
endif()
set(POLLSTER_SYSTEMD_UNITDIR "${_unitdir_default}" CACHE STRING
    "Where pollster.service is installed (relative = under the prefix)")

install(TARGETS pollster RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS pollster-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bench)
if(TARGET pollster-gen)
  install(TARGETS pollster-gen RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bench)
endif()
install(FILES ${PROJECT_BINARY_DIR}/schema/reporting.sql.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pollster COMPONENT runtime)

# Man pages are written in roff (man/) and shipped gzip-compressed, like the schema.
set(_man_gz)
foreach(page pollster.1 pollster.yaml.5)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "gzip -9n -c '${PROJECT_SOURCE_DIR}/man/${page}' > '${gz}'"
    DEPENDS ${PROJECT_SOURCE_DIR}/man/${page} VERBATIM)
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT runtime)
  list(APPEND _man_gz ${gz})
endforeach()
add_custom_target(pollster_man ALL DEPENDS ${_man_gz})

# An operator's edited config survives reinstalls: copy the sample only when
# the destination has none (DESTDIR and an install-time --prefix honoured).
install(CODE "
  set(_dir \"${POLLSTER_CONF_DIR}\")
  if(NOT IS_ABSOLUTE \"\${_dir}\")
    set(_dir \"\${CMAKE_INSTALL_PREFIX}/\${_dir}\")
  endif()
  if(EXISTS \"\$ENV{DESTDIR}\${_dir}/pollster.yaml\")
    message(STATUS \"Keeping existing: \$ENV{DESTDIR}\${_dir}/pollster.yaml\")
  else()
    # file(INSTALL) prepends DESTDIR itself.
    file(INSTALL DESTINATION \"\${_dir}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${PROJECT_SOURCE_DIR}/etc/pollster.yaml\")
  endif()" COMPONENT runtime)

install(FILES ${PROJECT_SOURCE_DIR}/etc/pollster.service
        DESTINATION ${POLLSTER_SYSTEMD_UNITDIR} COMPONENT runtime)

# ---- Debian package --------------------------------------------------------
# Only the runtime component goes in, as one package named pollster.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pollster)
set(CPACK_PACKAGE_VENDOR "pollster maintainers")
set(CPACK_PACKAGE_CONTACT "pollster maintainers <maintainers@users.noreply.b-seed-521fb346.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ETL engine building a reporting database from OpenStack")
set(CPACK_PACKAGE_DESCRIPTION
  "pollster builds and keeps fresh a MariaDB reporting database from the\n databases of an OpenStack cloud (keystone, nova and its cells, nova_api,\n cinder, glance) and two site databases, with a pool of worker threads.")
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};runtime;/")
# DESTDIR-style staging, so the absolute /etc and /lib destinations land in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst creates the system user with adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Debian's conffiles list is generated so it follows SYSCONFDIR.
set(_deb_dir ${PROJECT_BINARY_DIR}/debian-control)
file(MAKE_DIRECTORY ${_deb_dir})
file(WRITE ${_deb_dir}/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/pollster/pollster.yaml\n")
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${_deb_dir}/postinst COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${_deb_dir}/postrm COPYONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_deb_dir}/conffiles;${_deb_dir}/postinst;${_deb_dir}/postrm")

# Debian policy wants a copyright file and a changelog in the package's doc dir.
set(_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/pollster)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/debian-doc/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/debian-doc
  COMMAND sh -c "gzip -9n -c '${PROJECT_SOURCE_DIR}/packaging/debian/changelog' > '${PROJECT_BINARY_DIR}/debian-doc/changelog.gz'"
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog VERBATIM)
add_custom_target(pollster_debdoc ALL DEPENDS ${PROJECT_BINARY_DIR}/debian-doc/changelog.gz)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
              ${PROJECT_BINARY_DIR}/debian-doc/changelog.gz
        DESTINATION ${_docdir} COMPONENT runtime)

include(CPack)
