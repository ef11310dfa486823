#include "engine/gpu/cpu_threads.h"

#include <ATen/Parallel.h>

#include <cstdlib>
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

}  // namespace ebm::gpu
