// Waits for a Session's published snapshot to satisfy `pred` (the tests' one way of waiting on the
// worker thread): polls newer snapshots in 20 ms slices and returns the last one seen, whether or not
// it satisfies `pred` by `timeout_ms` — the caller's assertions then say what was missing.
#pragma once

#include "engine/session.h"

#include <functional>
#include <memory>

namespace ebm::test {

inline std::shared_ptr<const Snapshot> wait_for(Session& s, const std::function<bool(const Snapshot&)>& pred,
                                                int timeout_ms = 20000) {
  auto snap = s.latest();
  for (int waited = 0; waited < timeout_ms && !pred(*snap); waited += 20) snap = s.wait_for_newer(snap->seq, 20);
  return snap;
}

}  // namespace ebm::test
