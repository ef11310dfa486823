// The CUDA caching allocator seen from the engine (no-ops and -1 in a CPU build).
//
// Why it matters: every CUDA graph records into a private memory pool. When the graph is dropped the
// pool's blocks stay reserved by the caching allocator — reusable by this process only after it
// frees its cache, and never by another process. A sampler that re-captures per composition (one
// `ebm eval` recipe after another, the studio after an edit) therefore grew by about 0.9 GB per
// capture on an H100 (58 GB after 64 recipes, docs/measurements/2026-12-05_a553211-dirty_h100_
// ruler_sitting.cmd.txt) and made the processes beside it run out of memory.
#pragma once

#include <cstdint>

namespace ebm::gpu {

// Returns the allocator's unused cached blocks (of every device) to the driver.
void free_cached_device_memory();

// Bytes the caching allocator holds on CUDA device `device` (in use or cached); -1 without CUDA.
std::int64_t reserved_device_bytes(int device);
// Bytes of it in use by tensors; -1 without CUDA.
std::int64_t allocated_device_bytes(int device);

// The most bytes in use by tensors at once since the process began or the last reset — what a
// workload needs, unlike nvidia-smi's figure, which includes whatever the cache kept (cuDNN's
// autotuner alone can leave gigabytes there); -1 without CUDA.
std::int64_t peak_allocated_device_bytes(int device);
// Starts the peak over from what is in use now (no-op without CUDA).
void reset_peak_device_bytes(int device);

}  // namespace ebm::gpu
