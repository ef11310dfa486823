#include "engine/session/snapshot.h"

namespace ebm {

std::string to_string(SessionStatus s) {
  switch (s) {
    case SessionStatus::Idle: return "idle";
    case SessionStatus::Running: return "running";
    case SessionStatus::Paused: return "paused";
    case SessionStatus::Finished: return "finished";
    case SessionStatus::Cancelled: return "cancelled";
    case SessionStatus::Error: return "error";
  }
  return "?";
}

std::string to_string(Event::Kind k) {
  switch (k) {
    case Event::Kind::Info: return "info";
    case Event::Kind::Warning: return "warning";
    case Event::Kind::Error: return "error";
    case Event::Kind::NanReset: return "nan-reset";
    case Event::Kind::Exported: return "exported";
    case Event::Kind::BatchReduced: return "batch-reduced";
  }
  return "?";
}

torch::Tensor Snapshot::host_rgba8() const {
  if (!images.defined()) return {};
  auto x = images.detach().to(torch::kCPU, torch::kFloat).clamp(0.0, 1.0);
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  torch::Tensor rgb;
  if (c >= 3) rgb = x.slice(1, 0, 3);
  else rgb = x.slice(1, 0, 1).expand({b, 3, h, w});
  auto u8 = rgb.mul(255.0).round().to(torch::kUInt8).permute({0, 2, 3, 1});
  auto alpha = torch::full({b, h, w, 1}, 255, torch::kUInt8);
  return torch::cat({u8, alpha}, 3).contiguous();
}

}  // namespace ebm
