# The installable quiver: the exported library quiver::quiver, `cmake --install` layout, the
# find_package(quiver) files, the man page and the Debian package (CPack). Included from the
# top-level CMakeLists.txt after the modules are defined.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# quiver::quiver: one static library holding every module's objects (libquiver.a). Its only
# include path for users is include/ (the public API, plus the generated quiver/version.h);
# src/ stays private to the modules and the tests, which link the modules directly.
set(QUIVER_MODULES quiver_base quiver_text quiver_nn quiver_keras_io quiver_train quiver_serve
    quiver_multilabel)
set(quiver_objects)
foreach(m ${QUIVER_MODULES})
  list(APPEND quiver_objects $<TARGET_OBJECTS:${m}>)
endforeach()
add_library(quiver_lib STATIC ${quiver_objects})
add_library(quiver::quiver ALIAS quiver_lib)
set_target_properties(quiver_lib PROPERTIES OUTPUT_NAME quiver EXPORT_NAME quiver
                      LINKER_LANGUAGE CXX)
target_compile_features(quiver_lib INTERFACE cxx_std_20)
target_include_directories(quiver_lib INTERFACE
  $<BUILD_INTERFACE:${QUIVER_ROOT}/include>
  $<BUILD_INTERFACE:${QUIVER_GENERATED_INCLUDE_DIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# What the modules' objects call: the same libraries the modules link (header-only ones
# need nothing at link time). Installed, HDF5 comes from pkg-config (Debian's hdf5.pc):
# FindHDF5 would need the C language enabled in every project that uses quiver.
target_link_libraries(quiver_lib PUBLIC Threads::Threads $<BUILD_INTERFACE:HDF5::HDF5>
                      $<INSTALL_INTERFACE:PkgConfig::QUIVER_HDF5> PkgConfig::LIBZIP yaml-cpp
                      ICU::uc csv)

# cmake --install: bin/quiver, include/quiver/*.h, lib/libquiver.a, lib/cmake/quiver/.
# Component "runtime" is the tool (the quiver .deb), "development" the library.
install(TARGETS quiver RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS quiver_lib EXPORT quiverTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
install(DIRECTORY ${QUIVER_ROOT}/include/quiver ${QUIVER_GENERATED_INCLUDE_DIR}/quiver
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development FILES_MATCHING
        PATTERN "*.h")
set(QUIVER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/quiver)
install(EXPORT quiverTargets NAMESPACE quiver:: DESTINATION ${QUIVER_CMAKE_DIR}
        COMPONENT development)
configure_package_config_file(${QUIVER_ROOT}/cmake/quiverConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/quiverConfig.cmake INSTALL_DESTINATION ${QUIVER_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/quiverConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/quiverConfig.cmake
        ${CMAKE_CURRENT_BINARY_DIR}/quiverConfigVersion.cmake
        DESTINATION ${QUIVER_CMAKE_DIR} COMPONENT development)

# The service: a systemd unit running `quiver serve --config /etc/quiver/serve.yaml` as the
# unprivileged user quiver (created by the package's postinst) and that default config.
# Both are placed at install time, when the prefix is known (cpack installs with /usr): the
# config goes to /etc when the prefix is /usr (the package), else to PREFIX/etc, as
# GNUInstallDirs decides CMAKE_INSTALL_FULL_SYSCONFDIR, so that `cmake --install build
# --prefix DIR` never writes outside DIR; the unit's ExecStart names PREFIX/bin/quiver.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(quiver_etc /etc/quiver)
  else()
    set(quiver_etc \"\${CMAKE_INSTALL_PREFIX}/etc/quiver\")
  endif()
  file(INSTALL DESTINATION \"\${quiver_etc}\" TYPE FILE
       FILES \"${QUIVER_ROOT}/packaging/serve.yaml\")
  set(QUIVER_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  configure_file(\"${QUIVER_ROOT}/packaging/quiver.service.in\"
                 \"${CMAKE_CURRENT_BINARY_DIR}/packaging/quiver.service\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\" TYPE FILE
       FILES \"${CMAKE_CURRENT_BINARY_DIR}/packaging/quiver.service\")" COMPONENT runtime)

# The man page, generated from `quiver --help` by Debian's help2man when it is installed.
find_program(HELP2MAN help2man)
if(HELP2MAN AND NOT QUIVER_TSAN AND NOT QUIVER_ASAN)
  set(man ${CMAKE_CURRENT_BINARY_DIR}/man/quiver.1)
  # One section per subcommand (its --help) after the top-level help.
  add_custom_command(OUTPUT ${man}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
    COMMAND ${QUIVER_ROOT}/packaging/man-commands.sh $<TARGET_FILE:quiver> ${man}.commands
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section 1
            --source "quiver ${PROJECT_VERSION}" --include ${man}.commands
            --name "load, train and serve Keras text classifiers" --output ${man}
            $<TARGET_FILE:quiver>
    COMMAND gzip -9nf ${man}
    DEPENDS quiver ${QUIVER_ROOT}/packaging/man-commands.sh VERBATIM)
  add_custom_target(quiver_man ALL DEPENDS ${man}.gz)
  install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
endif()

# cpack -G DEB (in the build tree): quiver_VERSION_ARCH.deb (the tool, its man page, the
# service), quiver-dev_VERSION_ARCH.deb (headers, libquiver.a, CMake package files) and, with
# QUIVER_PYTHON, python3-quiver_VERSION_ARCH.deb (the Python module and its .pyi stub).
set(CPACK_PACKAGE_NAME quiver)
set(CPACK_PACKAGE_VENDOR "quiver")
set(CPACK_PACKAGE_CONTACT "quiver maintainers <quiver@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "load, train and serve Keras text classifiers")
set(CPACK_PACKAGE_DESCRIPTION
    "quiver loads Keras-style text classifiers (.h5 / .keras), trains them in C++ and serves
 many of them from one process over HTTP, each answer bit-identical to what the model gives
 alone.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)  # install(CODE) above sees the real prefix /usr
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
if(QUIVER_PYTHON)  # python3-quiver: the Python module for Debian's python3 (python/)
  list(APPEND CPACK_COMPONENTS_ALL python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-quiver)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SHLIBDEPS ON)
  # Built for one Python minor version (the extension's ABI tag), as Debian's own modules.
  math(EXPR quiver_py_next "${Python_VERSION_MINOR} + 1")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3 (>= ${Python_VERSION_MAJOR}.${Python_VERSION_MINOR}~), \
python3 (<< ${Python_VERSION_MAJOR}.${quiver_py_next}), python3-numpy")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SUGGESTS "python3-jieba, python3-flask, gunicorn")
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION "quiver for Python: import quiver
Keras text classifiers (models, Keras' Tokenizer, jieba segmentation, training, the
KerasUtil-style Classifier) in Debian's python3, without TensorFlow.")
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME quiver)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION science)
# Shared-library dependencies from dpkg-shlibdeps (dpkg-dev); passwd for useradd in postinst.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "passwd")
# The jieba segmenters read Python jieba's dictionary (docs/chinese.md).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "python3-jieba")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${QUIVER_ROOT}/packaging/conffiles ${QUIVER_ROOT}/packaging/postinst
    ${QUIVER_ROOT}/packaging/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME quiver-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "libhdf5-dev, libzip-dev, libyaml-cpp-dev, libicu-dev, libcsv-dev, pkg-config")
include(CPack)
