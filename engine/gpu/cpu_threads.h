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

// Runs this thread's own LibTorch CPU ops on this thread alone, leaving the pool's threads to the
// threads that sample (each thread has its own OpenMP team). For a thread whose tensor work is small
// — the studio's GUI thread converts previews — while another thread samples on the CPU: with a team
// of its own beside the sampler's, libgomp manages more threads than there are cores and stops
// spinning between parallel regions, and every region of the sampler's step waits for sleeping
// threads to wake (2-core CPU, studio under Xvfb: 81k context switches in a 51-step run instead of
// 6k, 285 → 255 ms per step). Other threads keep the count use_all_cores() chose. Returns whether
// the OpenMP runtime was found (a LibTorch without OpenMP: nothing to do).
bool serial_ops_on_this_thread();

}  // namespace ebm::gpu
