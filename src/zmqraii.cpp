// SPDX-License-Identifier: MIT
// zmqraii::compiled (ZMQRAII_SEPARATE_COMPILATION): the functions that
// header-only builds compile in every translation unit, compiled once here with
// the target's ZMQRAII_THREAD_CHECKS setting (tests/compiled_other_checks.cpp
// shows how a program that mixes settings adds the other one).
#include <zmqraii/impl/src.hpp>
