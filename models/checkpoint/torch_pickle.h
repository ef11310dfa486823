// PyTorch `.pt` files (torch.save zip archives) holding a state_dict: name → tensor. The zip is
// read with LibTorch's PyTorchStreamReader and data.pkl with our restricted unpickler
// (pickle_reader.h: LibTorch's torch::pickle_load turns OrderedDicts — every state_dict — into
// None). Files our reader refuses go through torch::pickle_load as a fallback (it reads what C++
// torch::pickle_save writes). No Python is needed.
#pragma once

#include "models/checkpoint/safetensors.h"

#include <string>

namespace ebm {

// True when the file starts like a zip archive (what torch.save writes since PyTorch 1.6).
bool looks_like_torch_zip(const std::string& path);

// Loads a state_dict. Accepts a dict of tensors, or a training checkpoint dict whose "state_dict",
// "model_state_dict" or "model" entry is one (`*container` says which key was used, "" otherwise).
// Tensors come back on the CPU. Throws CheckpointError-compatible std::runtime_error subclasses:
// FileError for I/O, TorchPickleError for anything the file holds that is not a state_dict.
class TorchPickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
TensorMap read_torch_state_dict(const std::string& path, std::string* container = nullptr);

}  // namespace ebm
