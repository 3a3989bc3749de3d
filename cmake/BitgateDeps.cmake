# Dependencies are Debian packages. Each missing one stops the configure step with the
# name of the package to install (scripts/bootstrap installs them all).
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config' (or run scripts/bootstrap)")
endif()
find_package(Threads REQUIRED)

# bg_require_pkg(<prefix> <pkg-config module> <debian package>)
function(bg_require_pkg prefix module debpkg)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "${module} not found: install the Debian package '${debpkg}' (or run scripts/bootstrap)")
  endif()
  message(STATUS "Found ${module} ${${prefix}_VERSION}")
endfunction()

bg_require_pkg(LIBGIT2 libgit2 libgit2-dev)
bg_require_pkg(SQLITE3 sqlite3 libsqlite3-dev)
bg_require_pkg(LIBPQ libpq libpq-dev)
bg_require_pkg(CJSON libcjson libcjson-dev)
bg_require_pkg(LIBXML2 libxml-2.0 libxml2-dev)
bg_require_pkg(ZLIB zlib zlib1g-dev)

find_program(GNUPLOT_EXECUTABLE gnuplot)
if(NOT GNUPLOT_EXECUTABLE)
  message(FATAL_ERROR "gnuplot not found: install the Debian package 'gnuplot-nox' (or run scripts/bootstrap)")
endif()
