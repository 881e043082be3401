// SPDX-License-Identifier: MIT
// Included first by every documentation snippet that tests/docs compiles
// (see CONTRIBUTING.md, "The docs test"): zmqraii and the standard headers that snippets
// use without spelling out, so that a snippet can stay as short as the text
// around it needs.
#ifndef ZMQRAII_DOCS_SNIPPET_PRELUDE_HPP_INCLUDED
#define ZMQRAII_DOCS_SNIPPET_PRELUDE_HPP_INCLUDED

#include <zmqraii/zmqraii.hpp>
// Not in the umbrella (compile time); docs/loop-and-coroutines.md uses them.
// task.hpp declares nothing in C++17.
#include <zmqraii/loop.hpp>
#include <zmqraii/task.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#endif  // ZMQRAII_DOCS_SNIPPET_PRELUDE_HPP_INCLUDED
