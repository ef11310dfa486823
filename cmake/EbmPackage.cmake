# The Debian package (issue #25): `cmake --build build --target package` (or `cd build && cpack -G DEB`)
# writes ebm-studio_<version>_<arch>.deb from the install rules (cmake/EbmInstall.cmake) under /usr.
# Runtime dependencies are derived from the libraries the binaries link (dpkg-shlibdeps, Debian's
# dpkg-dev), not listed by hand; the version comes from packaging/changelog.
include_guard(GLOBAL)

# packaging/changelog's top entry, "ebm-studio (0.1.0-1) bookworm; urgency=medium", gives the
# package's version: its upstream part must be the project's, so a release bump needs an entry.
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/changelog _ebm_top LIMIT_COUNT 1)
if(NOT _ebm_top MATCHES "^ebm-studio \\(([^)-]+)-([^)]+)\\)")
  message(FATAL_ERROR "packaging/changelog: the first line must read 'ebm-studio (VERSION-REVISION) …', got '${_ebm_top}'")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "packaging/changelog's newest entry is for ${CMAKE_MATCH_1} but the project is ${PROJECT_VERSION}: "
                      "add an entry for ${PROJECT_VERSION}-1 at the top (dch -v ${PROJECT_VERSION}-1, or by hand)")
endif()
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CMAKE_MATCH_2})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ebm-studio)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Seed 5a7c2297 maintainers <maintainers@users.noreply.b-seed-5a7c2297.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "studio for compositional generation with energy-based models")
# The extended description (CPack indents it for the control file and prepends the summary).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "ebm-studio composes energy-based concepts (AND, OR, NOT) with weights, labels
and painted masks, and samples them by Langevin dynamics, after the paper
Compositional Visual Generation with Energy Based Models (Du, Li, Mordatch,
NeurIPS 2020). The ebm-studio desktop app edits a composition while it
samples and shows the grid, per-term energies and gradient maps live; the ebm
command-line tool samples, trains, converts and evaluates models headless.

The package ships four trained concept models of rendered cubes (position,
size, shape, colour), the grading classifier of ebm eval and example
recipes, which the studio opens from File > Open example.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ebm-studio_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Loaded at run time, not linked, so dpkg-shlibdeps cannot see them: the UI font (ImGui's own is the
# fallback) and Mesa's OpenGL drivers (a machine with another GL driver has its own).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core, libgl1-mesa-dri")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # Debian ships stripped binaries (debug info would be a -dbgsym package)
# Directories in the package 0755, whatever the umask of the machine that builds it.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# `package_source`: the tree without builds and version control.
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/_CPack_Packages/")

include(CPack)
