#include "models/replay_buffer.h"

#include <stdexcept>
#include <string>

namespace ebm {

namespace {
std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}
}  // namespace

ReplayBuffer::ReplayBuffer(int64_t capacity, bool dequant_quirk) : capacity_(capacity), quirk_(dequant_quirk) {
  if (capacity < 1) throw std::invalid_argument("replay buffer capacity must be >= 1, got " + std::to_string(capacity));
}

torch::Tensor ReplayBuffer::quantize(const torch::Tensor& x) const {
  auto scaled = x.detach().to(torch::kCPU, torch::kFloat).clamp(0.0, 1.0) * 255.0;
  // numpy's astype(uint8) truncates; the exact mode rounds so q/255 is the nearest code.
  return (quirk_ ? scaled.floor() : scaled.round()).to(torch::kUInt8);
}

torch::Tensor ReplayBuffer::dequantize(const torch::Tensor& q, torch::Generator& gen) const {
  auto f = q.to(torch::kFloat);
  if (!quirk_) return f / 255.0;
  return f / 256.0 + torch::rand(f.sizes(), gen, torch::kFloat) / 256.0;
}

void ReplayBuffer::add(const torch::Tensor& x) {
  if (!x.defined() || x.dim() != 4 || x.size(0) == 0)
    throw std::invalid_argument("replay buffer add expects a non-empty image batch [N,C,H,W]");
  if (!data_.defined()) {
    std::vector<int64_t> shape{capacity_, x.size(1), x.size(2), x.size(3)};
    data_ = torch::zeros(shape, torch::kUInt8);
  } else if (x.sizes().slice(1) != data_.sizes().slice(1)) {
    throw std::invalid_argument("replay buffer holds images " + shape_str(data_.sizes().slice(1)) + " but got " +
                                shape_str(x.sizes().slice(1)));
  }
  auto q = quantize(x);
  int64_t n = q.size(0), offset = 0;
  if (n > capacity_) {  // only the newest `capacity` survive; advance as if all had been written
    offset = n - capacity_;
    next_ = (next_ + offset) % capacity_;
    n = capacity_;
  }
  // Split copy: up to the end of the ring, then the rest from the front.
  const int64_t first = std::min(n, capacity_ - next_);
  data_.narrow(0, next_, first).copy_(q.narrow(0, offset, first));
  if (n > first) data_.narrow(0, 0, n - first).copy_(q.narrow(0, offset + first, n - first));
  next_ = (next_ + n) % capacity_;
  size_ = std::min(capacity_, size_ + n);
}

torch::Tensor ReplayBuffer::sample(int64_t n, torch::Generator& gen) const {
  if (n < 1) throw std::invalid_argument("replay buffer sample size must be >= 1");
  if (size_ == 0) throw std::logic_error("replay buffer is empty: add samples before drawing from it");
  auto idx = torch::randint(0, size_, {n}, gen, torch::kLong);
  return dequantize(data_.index_select(0, idx), gen);
}

torch::Tensor ReplayBuffer::storage() const {
  return data_.defined() ? data_.narrow(0, 0, size_) : torch::empty({0}, torch::kUInt8);
}

std::map<std::string, torch::Tensor> ReplayBuffer::state() const {
  auto meta = torch::tensor({capacity_, next_, size_, static_cast<int64_t>(quirk_)}, torch::kLong);
  return {{"images", storage().clone()}, {"meta", meta}};
}

void ReplayBuffer::load_state(const std::map<std::string, torch::Tensor>& state) {
  auto it_i = state.find("images"), it_m = state.find("meta");
  if (it_i == state.end() || it_m == state.end())
    throw std::invalid_argument("replay buffer state needs 'images' and 'meta' entries");
  const auto meta = it_m->second.to(torch::kLong);
  if (meta.dim() != 1 || meta.numel() != 4) throw std::invalid_argument("replay buffer 'meta' must hold 4 integers");
  const int64_t cap = meta[0].item<int64_t>(), next = meta[1].item<int64_t>(), size = meta[2].item<int64_t>();
  const bool quirk = meta[3].item<int64_t>() != 0;
  if (cap != capacity_)
    throw std::invalid_argument("replay buffer state has capacity " + std::to_string(cap) + " but this buffer has " +
                                std::to_string(capacity_) + ": build the buffer with the saved capacity");
  if (quirk != quirk_) throw std::invalid_argument("replay buffer state was saved with a different dequant_quirk flag");
  if (size < 0 || size > cap || next < 0 || next >= cap) throw std::invalid_argument("replay buffer 'meta' is inconsistent");
  const auto& img = it_i->second;
  if (size > 0 && (img.scalar_type() != torch::kUInt8 || img.dim() != 4 || img.size(0) != size))
    throw std::invalid_argument("replay buffer 'images' must be uint8 [size,C,H,W] with size " + std::to_string(size));
  if (size == 0) {
    data_ = torch::Tensor();
  } else {
    data_ = torch::zeros({cap, img.size(1), img.size(2), img.size(3)}, torch::kUInt8);
    data_.narrow(0, 0, size).copy_(img);
  }
  next_ = next;
  size_ = size;
}

}  // namespace ebm
