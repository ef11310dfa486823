#include "models/checkpoint/torch_pickle.h"

#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/pickle_check.h"

#include <torch/serialize.h>

#include <fstream>

namespace ebm {

namespace {

// Largest .pt we read into memory at once; far above any model of this project (ResNet128 ≈ 63 MB).
constexpr std::size_t kMaxPickleBytes = std::size_t{4} << 30;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw TorchPickleError("cannot load PyTorch file '" + path + "': " + what);
}

// Tries to read `v` as a dict of string → tensor; returns false (and names the offending entry)
// when it is a dict with non-tensor values.
bool as_tensor_dict(const c10::IValue& v, TensorMap* out, std::string* offender) {
  if (!v.isGenericDict()) return false;
  TensorMap m;
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString()) {
      *offender = "a non-string key";
      return false;
    }
    const std::string name = kv.key().toStringRef();
    if (!kv.value().isTensor()) {
      *offender = "'" + name + "' (" + kv.value().tagKind() + ")";
      return false;
    }
    m[name] = kv.value().toTensor().detach().to(torch::kCPU);
  }
  *out = std::move(m);
  return true;
}

}  // namespace

bool looks_like_torch_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4];
  return in.read(magic, 4) && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

TensorMap read_torch_state_dict(const std::string& path, std::string* container) {
  const std::string bytes = read_file(path);
  if (bytes.size() > kMaxPickleBytes) bad(path, "the file is larger than 4 GiB");
  // LibTorch trusts the zip's offsets and the pickle's length fields (it read past the buffer and
  // allocated gigabytes on damaged files, found by fuzzing): check both before it sees the bytes.
  if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0)
    bad(path, "it is not a zip archive (torch.save writes zip files since PyTorch 1.6; re-save it with "
              "torch.save(model.state_dict(), path) from a recent PyTorch)");
  if (const std::string problem = check_torch_archive(bytes); !problem.empty())
    bad(path, problem + "; copy or download the file again");
  std::vector<char> data(bytes.begin(), bytes.end());
  c10::IValue root;
  try {
    root = torch::pickle_load(data);
  } catch (const std::exception& e) {
    // c10::Error messages carry a C++ backtrace; the first line is the useful part.
    std::string msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    bad(path, "LibTorch could not unpickle it (" + msg +
                  "). Save the weights from Python with torch.save(model.state_dict(), path), or convert "
                  "them to safetensors");
  }
  if (container) container->clear();
  TensorMap out;
  std::string offender;
  if (as_tensor_dict(root, &out, &offender)) return out;
  if (root.isGenericDict()) {
    for (const char* key : {"state_dict", "model_state_dict", "model"}) {
      for (const auto& kv : root.toGenericDict()) {
        std::string inner_offender;
        if (kv.key().isString() && kv.key().toStringRef() == key && as_tensor_dict(kv.value(), &out, &inner_offender)) {
          if (container) *container = key;
          return out;
        }
      }
    }
    bad(path, "it holds a dict whose entry " + offender +
                  " is not a tensor, and no 'state_dict' / 'model_state_dict' / 'model' entry holding one");
  }
  bad(path, std::string("it holds a ") + root.tagKind() + ", not a state_dict (a dict of name -> tensor)");
}

}  // namespace ebm
