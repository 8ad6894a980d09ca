//===- CommWorker.cpp - Collectives on a thread of their own --------------===//

#include "runtime/main/CommWorker.h"

namespace dsc::runtime {

CommWorker::CommWorker() : thread([this] { loop(); }) {}

CommWorker::~CommWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  changed.notify_all();
  thread.join();
}

uint64_t CommWorker::submit(std::function<Status()> task) {
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ticket = next++;
    queue.emplace_back(ticket, std::move(task));
  }
  changed.notify_all();
  return ticket;
}

Status CommWorker::wait(uint64_t ticket) {
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return done.count(ticket) != 0; });
  Status s = std::move(done[ticket]);
  done.erase(ticket);
  return s;
}

void CommWorker::loop() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    changed.wait(lock, [&] { return stopping || !queue.empty(); });
    if (queue.empty())
      return;
    auto [ticket, task] = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    Status s = task();
    lock.lock();
    done[ticket] = std::move(s);
    changed.notify_all();
  }
}

} // namespace dsc::runtime
