// Session: the sampling engine's facade. One Session owns one worker thread that runs Langevin
// chains on a composition of energy models and publishes immutable snapshots.
//
// Threading contract
// - Every public method may be called from any thread, concurrently.
// - submit() never blocks on the worker: it takes a short queue lock (no Torch work under it),
//   appends the command and returns. Commands are applied by the worker, in order, between two
//   Langevin steps; parameter edits are latest-wins (see session/commands.h).
// - latest() returns the most recent snapshot without waiting for the worker (a pointer copy under
//   a short lock). Snapshots are immutable and may be held and read for as long as the caller likes,
//   with no lock held: render from them freely.
// - The worker never waits for readers. Nobody holds a lock while computing or rendering.
// - Results of commands (errors included) arrive as events in later snapshots; submit() itself only
//   fails for a destroyed session (it cannot: the destructor is the last call).
// - The destructor cancels the run (the step in flight completes), releases the models' caches and
//   joins the worker. Do not call methods concurrently with destruction.
// - Model objects handed over with cmd::AddModel are used by the worker thread from then on;
//   callers must not run them concurrently elsewhere while the session holds them.
#pragma once

#include "engine/session/commands.h"
#include "engine/session/snapshot.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace ebm {

class Worker;

class Session {
 public:
  explicit Session(SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;  // owns a thread and the models it drives
  Session& operator=(const Session&) = delete;

  void submit(Command c);
  std::shared_ptr<const Snapshot> latest() const;

  // Blocks until a snapshot newer than `seq` with status != Running exists, or `timeout_ms` passes;
  // returns the latest snapshot either way. For the CLI and tests (the GUI polls latest()).
  std::shared_ptr<const Snapshot> wait_until_settled(std::uint64_t after_seq, int timeout_ms) const;
  // Blocks until a snapshot with seq > `seq` is published or `timeout_ms` passes.
  std::shared_ptr<const Snapshot> wait_for_newer(std::uint64_t seq, int timeout_ms) const;

 private:
  friend class Worker;
  // Worker side of the queue: takes every pending command; waits for one when `block`.
  std::deque<Command> take(bool block);
  void publish(std::shared_ptr<const Snapshot> s);
  bool quitting() const;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Command> queue_;
  bool quit_ = false;

  mutable std::mutex snap_mu_;
  mutable std::condition_variable snap_cv_;
  std::shared_ptr<const Snapshot> latest_;

  std::unique_ptr<Worker> worker_;
  std::thread thread_;
};

}  // namespace ebm
