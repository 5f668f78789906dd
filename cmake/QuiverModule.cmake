# quiver_module(NAME DEPS dep...): a static library from every .cc in the calling folder.
# New source files are picked up at build time (CONFIGURE_DEPENDS), so adding a file to a
# module needs no edit here.
function(quiver_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX ".*/main\\.cc$")
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${QUIVER_ROOT}/include ${QUIVER_ROOT}/src)
    target_link_libraries(${name} PUBLIC quiver_base ${M_DEPS})
  else()  # a module with no sources yet
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE quiver_base ${M_DEPS})
  endif()
endfunction()
