// SPDX-License-Identifier: MIT
// For test_abi and test_nocheck built against zmqraii::compiled: the library
// holds the ABI-tagged code of one ZMQRAII_THREAD_CHECKS setting, and they use
// the other one too, so this file compiles that part once more with it, as
// docs/build-and-configuration.md tells a program that mixes settings to do.
#if defined(ZMQRAII_THREAD_CHECKS) && !ZMQRAII_THREAD_CHECKS
#undef ZMQRAII_THREAD_CHECKS
#define ZMQRAII_THREAD_CHECKS 1
#else
#undef ZMQRAII_THREAD_CHECKS
#define ZMQRAII_THREAD_CHECKS 0
#endif
#include <zmqraii/impl/src_abi.hpp>
