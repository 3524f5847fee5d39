# Warnings shared by every gpusim target; applied through gpusim_set_warnings(target).
function(gpusim_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter>)
  # GCC 12 (Debian 12's compiler) warns -Wrestrict inside libstdc++ for `"literal" + std::string`
  # at -O2, a known false positive that many projects hit: thirty reports here that would bury a
  # real one. Clang and other GCC versions keep the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
  endif()
endfunction()

# gpusim_layer(NAME DIR SOURCES... LINKS ...) declares one layer library rooted at sim/.
function(gpusim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS;PRIVATE_LINKS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/sim)
  target_link_libraries(${name} PUBLIC ${ARG_LINKS} PRIVATE ${ARG_PRIVATE_LINKS})
  gpusim_set_warnings(${name})
endfunction()
