//===- CommWorker.h - Collectives on a thread of their own ------*- C++ -*-===//
//
// ZeRO-3's prefetched gathers run while the step computes: a communicator
// is used from one thread only, so once any collective is asynchronous
// every collective of the rank goes through this worker, in the order they
// are submitted -- the plan's order, the same on every rank. submit()
// returns a ticket; wait() blocks until that task has run and returns its
// Status; run() is both.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_MAIN_COMMWORKER_H
#define DSC_RUNTIME_MAIN_COMMWORKER_H

#include "runtime/io/Status.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace dsc::runtime {

class CommWorker {
public:
  CommWorker();
  ~CommWorker();
  CommWorker(const CommWorker &) = delete;
  CommWorker &operator=(const CommWorker &) = delete;

  uint64_t submit(std::function<Status()> task);
  Status wait(uint64_t ticket);
  Status run(std::function<Status()> task) { return wait(submit(task)); }

private:
  void loop();

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<uint64_t, std::function<Status()>>> queue;
  std::map<uint64_t, Status> done;
  uint64_t next = 0;
  bool stopping = false;
  std::thread thread;
};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_MAIN_COMMWORKER_H
