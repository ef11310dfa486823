// PyTorch .pt (torch.save zip holding a state_dict): the product reads it from a path, through
// LibTorch's own zip reader and unpickler, so the input goes through a scratch file.
#include "fuzz/harnesses.h"
#include "fuzz/scratch.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/torch_pickle.h"

#include <cstdio>
#include <cstdlib>

namespace ebm::fuzz {

void torch_pt_input(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      write_scratch("model.pt", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    std::string container;
    const TensorMap m = read_torch_state_dict(path, &container);
    for (const auto& [name, t] : m) {
      // What callers rely on: named, defined CPU tensors.
      if (!t.defined() || !t.device().is_cpu()) {
        std::fprintf(stderr, "state_dict entry '%s' is undefined or not on the CPU\n", name.c_str());
        std::abort();
      }
    }
  } catch (const TorchPickleError&) {
  } catch (const FileError&) {
  }
}

}  // namespace ebm::fuzz
