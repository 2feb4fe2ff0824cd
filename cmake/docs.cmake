# API reference from the public headers' doc comments (`///`), as an optional target:
#   cmake --build build --target docs     ->  build/docs/html/index.html
# Needs doxygen (Debian package `doxygen`); without it there is simply no `docs` target.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(DOXYGEN_PROJECT_NAME "descent")
  set(DOXYGEN_PROJECT_BRIEF "A small, fast neural-network framework in C++ with reverse-mode autodiff")
  set(DOXYGEN_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/docs)
  set(DOXYGEN_USE_MDFILE_AS_MAINPAGE ${PROJECT_SOURCE_DIR}/README.md)
  set(DOXYGEN_EXTRACT_ALL YES)
  set(DOXYGEN_EXCLUDE_SYMBOLS "detail" "*::detail::*")
  set(DOXYGEN_MACRO_EXPANSION YES)
  set(DOXYGEN_WARN_IF_UNDOCUMENTED NO)
  set(DOXYGEN_QUIET YES)
  doxygen_add_docs(docs ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/README.md
                   COMMENT "Generating the API reference with Doxygen")
endif()
