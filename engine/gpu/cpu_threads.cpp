#include "engine/gpu/cpu_threads.h"

#include <ATen/Parallel.h>

#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <sched.h>
#include <thread>

namespace ebm::gpu {

int use_all_cores() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && *env) return at::get_num_threads();
  int cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores > 0 && cores != at::get_num_threads()) at::set_num_threads(cores);
  return at::get_num_threads();
}

bool serial_ops_on_this_thread() {
  // LibTorch sets a thread's OpenMP count the first time the thread asks for it or runs a parallel
  // op (from the count use_all_cores() chose), once per copy of its inline initialiser — the
  // library's and this binary's: do both first, so that neither undoes the count set below.
  (void)at::get_num_threads();
  at::parallel_for(0, 1, 1, [](std::int64_t, std::int64_t) {});
  // omp_set_num_threads is per thread, unlike at::set_num_threads, which also sets the count every
  // new thread takes (at::init_num_threads) and resizes the shared pthreadpool. The OpenMP runtime is
  // LibTorch's (libgomp, loaded with it), looked up rather than linked: the project does not build
  // with OpenMP itself, and a second runtime must not be brought in.
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (!set) return false;
  set(1);
  return true;
}

}  // namespace ebm::gpu
