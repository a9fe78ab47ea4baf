# Installation (`cmake --install`) and the Debian package (`make package`, CPack's DEB generator).
#
# Paths under the prefix follow GNUInstallDirs; the configuration goes to /etc/incidentd whatever the prefix, since
# the unit and the packaged config name it (DESTDIR still applies). docs/systemd.md lists where everything goes.
include(GNUInstallDirs)

set(INCIDENTD_SYSTEMD_DIR ${CMAKE_CURRENT_LIST_DIR}/../systemd)
cmake_path(NORMAL_PATH INCIDENTD_SYSTEMD_DIR)

install(TARGETS incidentd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${INCIDENTD_SYSTEMD_DIR}/incidentd.service DESTINATION lib/systemd/system)
install(FILES ${INCIDENTD_SYSTEMD_DIR}/incidentd.sysusers DESTINATION lib/sysusers.d RENAME incidentd.conf)
install(FILES ${INCIDENTD_SYSTEMD_DIR}/incidentd.tmpfiles DESTINATION lib/tmpfiles.d RENAME incidentd.conf)

# Conffiles. Only the catch-all rule file is active by default: 10-examples.yaml pages webhooks on 127.0.0.1:9, which
# would fill the failed-notification list on a real host, so it ships as documentation to copy from.
set(INCIDENTD_CONFFILES /etc/incidentd/incidentd.yaml /etc/incidentd/rules/99-default.yaml)
install(FILES ${INCIDENTD_SYSTEMD_DIR}/incidentd.yaml DESTINATION /etc/incidentd)
install(FILES ${PROJECT_SOURCE_DIR}/rules/99-default.yaml DESTINATION /etc/incidentd/rules)

set(INCIDENTD_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/incidentd)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${INCIDENTD_DOCDIR})
file(GLOB incidentd_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${incidentd_docs} DESTINATION ${INCIDENTD_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/rules/10-examples.yaml DESTINATION ${INCIDENTD_DOCDIR}/examples)

# The Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME incidentd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "incidentd maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "alert and incident daemon")
set(CPACK_PACKAGE_DESCRIPTION
    "incidentd takes monitoring alerts in (Prometheus, Alertmanager, PagerDuty Events API v2, any JSON webhook),\n\
deduplicates them, applies silences and inhibition, correlates them into incidents with YAML rules and pages\n\
people step by step (PagerDuty, Opsgenie, webhooks, Slack) until someone acknowledges. It runs as a hardened\n\
systemd service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_NAME incidentd)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # incidentd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "incidentd maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries come from dpkg-shlibdeps (dpkg-dev); the maintainer scripts need systemd's sysusers and
# tmpfiles, which systemd provides (or the standalone packages) and deb-systemd-helper from init-system-helpers.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd-sysusers, systemd-tmpfiles, init-system-helpers (>= 1.54~), ca-certificates")

set(incidentd_conffiles ${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles)
list(JOIN INCIDENTD_CONFFILES "\n" incidentd_conffiles_text)
file(WRITE ${incidentd_conffiles} "${incidentd_conffiles_text}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${incidentd_conffiles} ${INCIDENTD_SYSTEMD_DIR}/debian/postinst ${INCIDENTD_SYSTEMD_DIR}/debian/prerm
    ${INCIDENTD_SYSTEMD_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, conffiles 0644

include(CPack)
