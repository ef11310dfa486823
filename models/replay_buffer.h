// ReplayBuffer (spec §2.8, §4.3): the contrastive-divergence trainer's store of past negative
// samples, as uint8 images [N,C,H,W] (the original stores uint8 too: 10000 cubes cost 123 MB as
// floats, 31 MB as bytes).
//
// Ring semantics of the original: samples are written in order at `next`, which advances modulo the
// capacity, so once full the oldest samples are overwritten (a batch crossing the end wraps to the
// front). The original's list can transiently hold more than `capacity` items when a batch does not
// divide the capacity (its first `extend` overshoots); that accident is not reproduced — the buffer
// never exceeds its capacity, and with batches dividing the capacity (train.py: 16 into 10000) the
// contents are identical.
//
// Quantization: default stores round(255·clip(x,0,1)) and restores q/255 exactly. `dequant_quirk`
// reproduces the original: store trunc(255·clip(x,0,1)), restore q/256 + U(0, 1/256), which darkens
// replayed images by ~0.4 % per round trip.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

namespace ebm {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(int64_t capacity, bool dequant_quirk = false);

  // x [N,C,H,W] float (any device); every add must have the image shape of the first one.
  void add(const torch::Tensor& x);
  // n float images [n,C,H,W] on the CPU drawn uniformly WITH replacement (gen: CPU generator).
  torch::Tensor sample(int64_t n, torch::Generator& gen) const;

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  bool dequant_quirk() const { return quirk_; }
  int64_t next_index() const { return next_; }
  // The stored bytes [size, C, H, W] (oldest-first order is NOT implied; it is ring order).
  torch::Tensor storage() const;

  // For training resume: {"images" uint8 [size,C,H,W], "meta" int64 [capacity, next, size, quirk]}.
  std::map<std::string, torch::Tensor> state() const;
  // Restores a state(); throws std::invalid_argument when it is malformed or its capacity differs.
  void load_state(const std::map<std::string, torch::Tensor>& state);

  torch::Tensor quantize(const torch::Tensor& x) const;    // float → uint8 per the mode
  torch::Tensor dequantize(const torch::Tensor& q, torch::Generator& gen) const;  // uint8 → float

 private:
  int64_t capacity_;
  bool quirk_;
  int64_t next_ = 0, size_ = 0;
  torch::Tensor data_;  // uint8 [capacity, C, H, W], allocated on the first add
};

}  // namespace ebm
