// SPDX-License-Identifier: MIT
// zmqraii::compiled: the ABI-tagged part once more, with the other
// ZMQRAII_THREAD_CHECKS setting, so that a program mixing both settings across
// translation units links (as it does header-only; see tests/test_abi.cpp).
#if defined(ZMQRAII_THREAD_CHECKS) && !ZMQRAII_THREAD_CHECKS
#undef ZMQRAII_THREAD_CHECKS
#define ZMQRAII_THREAD_CHECKS 1
#else
#undef ZMQRAII_THREAD_CHECKS
#define ZMQRAII_THREAD_CHECKS 0
#endif
#include <zmqraii/impl/src_abi.hpp>
