// SPDX-License-Identifier: MIT
// impl/owner.ipp: definitions for detail/owner.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_OWNER_IPP_INCLUDED
#define ZMQRAII_IMPL_OWNER_IPP_INCLUDED

#include <zmqraii/detail/owner.hpp>

namespace zmqraii::detail {

std::string thread_record::label() const {
    std::string head;
    {
        std::lock_guard<std::mutex> lock(marks_mutex);
        head = name.empty() ? concat({decimal(number), " ("})
                            : concat({"'", name, "' (", decimal(number), ", "});
    }
    const bool exited = !alive.load(std::memory_order_acquire);
    return concat({"thread ", head, "#", decimal(serial), exited ? ", exited)" : ")"});
}

thread_holder& this_thread_holder() noexcept {
    thread_local thread_holder holder;
    return holder;
}

const std::shared_ptr<thread_record>& this_thread_record() {
    thread_holder& holder = this_thread_holder();
    if (!holder.record) {
        holder.record = std::make_shared<thread_record>();
        current_thread = holder.record.get();
    }
    return holder.record;
}

void forget_thread_record_after_fork() noexcept {
    current_thread = nullptr;
    this_thread_holder().record.reset();
}

std::string source_site::to_string() const {
    return concat({file ? file : "", ":", decimal(line)});
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_OWNER_IPP_INCLUDED
