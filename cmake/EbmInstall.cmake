# Install rules (issue #25): `cmake --install build --prefix P` lays ebm-studio out as a desktop
# application. The binaries find the shipped models and recipes relative to their own location
# (engine/recipe/model_search.h), so P can be moved after installing:
#   P/bin/ebm, P/bin/ebm-studio
#   P/share/ebm-studio/models/*.safetensors        assets/models (concept models and the grader)
#   P/share/ebm-studio/recipes/*.json              assets/recipes (File > Open example)
#   P/share/doc/ebm-studio/                        docs/*.md, README.md, MODEL_CARD.md, images/,
#                                                  copyright, changelog.Debian.gz (Debian policy)
#   P/share/applications/ebm-studio.desktop, P/share/icons/hicolor/*/apps/ebm-studio.{png,svg}
#   P/share/man/man1/ebm.1.gz, ebm-studio.1.gz
# The Debian package (cmake/EbmPackage.cmake) is these files under /usr.
include_guard(GLOBAL)
include(GNUInstallDirs)

# Directories 0755 whatever the umask (cmake --install and the package alike).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(EBM_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/ebm-studio)
set(EBM_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/ebm-studio)  # Debian's /usr/share/doc/<package>, not GNU's docdir
set(EBM_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(EBM_GENERATED_DIR ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${EBM_GENERATED_DIR}/doc)

set(_ebm_programs ebm)
if(EBM_WITH_GUI)
  list(APPEND _ebm_programs ebm-studio)
endif()
install(TARGETS ${_ebm_programs} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

file(GLOB _ebm_models CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/assets/models/*.safetensors)
install(FILES ${_ebm_models} DESTINATION ${EBM_SHARE_DIR}/models)
file(GLOB _ebm_recipes CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/assets/recipes/*.json)
install(FILES ${_ebm_recipes} DESTINATION ${EBM_SHARE_DIR}/recipes)

# Docs. The model card and the README show images from docs/images by paths relative to where they
# sit in the source tree; installed side by side with images/, their links are rewritten to match.
file(GLOB _ebm_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${_ebm_docs} DESTINATION ${EBM_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/images/ DESTINATION ${EBM_DOC_DIR}/images FILES_MATCHING PATTERN "*.png")
set(_ebm_rewritten)
foreach(_md IN ITEMS assets/models/MODEL_CARD.md README.md)
  get_filename_component(_name ${_md} NAME)
  add_custom_command(
    OUTPUT ${EBM_GENERATED_DIR}/doc/${_name}
    COMMAND ${CMAKE_COMMAND} -DIN=${PROJECT_SOURCE_DIR}/${_md} -DOUT=${EBM_GENERATED_DIR}/doc/${_name}
            -P ${PROJECT_SOURCE_DIR}/cmake/EbmDocLinks.cmake
    DEPENDS ${PROJECT_SOURCE_DIR}/${_md} ${PROJECT_SOURCE_DIR}/cmake/EbmDocLinks.cmake
    COMMENT "Rewriting image links of ${_md} for the installed doc directory"
    VERBATIM)
  list(APPEND _ebm_rewritten ${EBM_GENERATED_DIR}/doc/${_name})
endforeach()

# Debian wants the changelog and man pages compressed with gzip -9n (no name, no time stamp: the
# same bytes on every build). gzip is essential on Debian.
find_program(EBM_GZIP gzip REQUIRED)
set(_ebm_gzipped)
foreach(_src IN ITEMS changelog man/ebm.1 man/ebm-studio.1)
  get_filename_component(_name ${_src} NAME)
  if(_name STREQUAL "changelog")
    set(_name changelog.Debian)
  endif()
  add_custom_command(
    OUTPUT ${EBM_GENERATED_DIR}/${_name}.gz
    COMMAND ${EBM_GZIP} -9nc ${EBM_PACKAGING_DIR}/${_src} > ${EBM_GENERATED_DIR}/${_name}.gz
    DEPENDS ${EBM_PACKAGING_DIR}/${_src}
    COMMENT "Compressing packaging/${_src}"
    VERBATIM)
  list(APPEND _ebm_gzipped ${EBM_GENERATED_DIR}/${_name}.gz)
endforeach()
add_custom_target(ebm_install_files ALL DEPENDS ${_ebm_rewritten} ${_ebm_gzipped})

install(FILES ${_ebm_rewritten} ${EBM_PACKAGING_DIR}/copyright ${EBM_GENERATED_DIR}/changelog.Debian.gz
        DESTINATION ${EBM_DOC_DIR})
install(FILES ${EBM_GENERATED_DIR}/ebm.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

if(EBM_WITH_GUI)
  install(FILES ${EBM_GENERATED_DIR}/ebm-studio.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${EBM_PACKAGING_DIR}/ebm-studio.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  # The icon: a hand-written SVG and PNGs rendered from it (assets/icons/hicolor/scalable/apps/ebm-studio.svg).
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/assets/icons/hicolor/ DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor)
endif()
