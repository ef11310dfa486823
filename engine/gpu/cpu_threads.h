// The CPU's share of LibTorch's thread pool. Debian's LibTorch (OpenMP) starts with one intra-op
// thread on the machines measured here even when more cores are free (omp_get_max_threads() = 1 on a
// 2-core container), which halves CPU sampling speed (`ebm bench --device cpu`: 150 → 80 ms per step
// at batch 4 with 2 threads). Unless the user chose (OMP_NUM_THREADS), use every core this process may
// run on.
#pragma once

namespace ebm::gpu {

// Sets at::set_num_threads to the cores of this process's CPU affinity mask when OMP_NUM_THREADS is
// not set; returns the number of threads in use afterwards.
int use_all_cores();

}  // namespace ebm::gpu
