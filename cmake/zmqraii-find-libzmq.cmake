# SPDX-License-Identifier: MIT
#
# Finds libzmq and provides it as the target `zmqraii::libzmq`.
#
# Used twice, the same way: by zmqraii's own CMakeLists.txt and, installed beside
# zmqraiiConfig.cmake, by every project that calls find_package(zmqraii).
# The exported zmqraii::zmqraii target links `zmqraii::libzmq`, so the libzmq a
# consumer gets is the one found on the consumer's machine, not a path baked in
# at install time.
#
# Search order:
#   1. a target `libzmq` or `libzmq-static` that already exists (a parent project
#      built libzmq with add_subdirectory/FetchContent);
#   2. libzmq's own CMake package (find_package(ZeroMQ CONFIG)), present when
#      libzmq itself was built with CMake; shared `libzmq` preferred, else
#      `libzmq-static` (set ZMQRAII_LIBZMQ_PREFER_STATIC to prefer static);
#   3. pkg-config's libzmq.pc (what Debian/Ubuntu's libzmq3-dev ships).
#
# Result: ZMQRAII_LIBZMQ_FOUND (TRUE/FALSE), ZMQRAII_LIBZMQ_VIA (what was used),
# and, when found, the INTERFACE IMPORTED target zmqraii::libzmq.

function(_zmqraii_find_libzmq)
    set(_found FALSE)
    set(_via "")

    if(TARGET zmqraii::libzmq)
        set(ZMQRAII_LIBZMQ_FOUND TRUE PARENT_SCOPE)
        return()
    endif()

    set(_order libzmq libzmq-static)
    if(ZMQRAII_LIBZMQ_PREFER_STATIC)
        set(_order libzmq-static libzmq)
    endif()

    # 1. A libzmq target the including project already has.
    foreach(_t IN LISTS _order)
        if(TARGET ${_t})
            set(_lib ${_t})
            set(_via "existing target ${_t}")
            set(_found TRUE)
            break()
        endif()
    endforeach()

    # 2. libzmq's CMake package.
    if(NOT _found)
        find_package(ZeroMQ CONFIG QUIET)
        if(ZeroMQ_FOUND)
            foreach(_t IN LISTS _order)
                if(TARGET ${_t})
                    set(_lib ${_t})
                    set(_via "ZeroMQ CMake package (${ZeroMQ_DIR}), target ${_t}")
                    set(_found TRUE)
                    break()
                endif()
            endforeach()
        endif()
    endif()

    # 3. pkg-config.
    if(NOT _found)
        find_package(PkgConfig QUIET)
        if(PKG_CONFIG_FOUND)
            pkg_check_modules(zmqraii_libzmq QUIET IMPORTED_TARGET libzmq)
            if(zmqraii_libzmq_FOUND)
                set(_lib PkgConfig::zmqraii_libzmq)
                set(_via "pkg-config libzmq ${zmqraii_libzmq_VERSION}")
                set(_found TRUE)
            endif()
        endif()
    endif()

    if(_found)
        add_library(zmqraii::libzmq INTERFACE IMPORTED)
        set_target_properties(zmqraii::libzmq PROPERTIES INTERFACE_LINK_LIBRARIES "${_lib}")
    endif()
    set(ZMQRAII_LIBZMQ_FOUND ${_found} PARENT_SCOPE)
    set(ZMQRAII_LIBZMQ_VIA "${_via}" PARENT_SCOPE)
endfunction()

_zmqraii_find_libzmq()
