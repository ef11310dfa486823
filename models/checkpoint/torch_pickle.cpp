#include "models/checkpoint/torch_pickle.h"

#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/pickle_check.h"
#include "models/checkpoint/pickle_reader.h"
#include "models/checkpoint/zip_check.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ebm {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw TorchPickleError("cannot load PyTorch file '" + path + "': " + what);
}

// c10::Error messages carry a C++ backtrace after the first line; users need only the first.
std::string first_line(const std::exception& e) {
  std::string msg = e.what();
  return msg.substr(0, msg.find('\n'));
}

// Reads a PyValue as a dict of string → tensor; returns false (naming the offending entry) if not.
bool as_tensor_dict(const PyRef& v, TensorMap* out, std::string* offender) {
  if (v->kind != PyValue::Kind::Dict) return false;
  TensorMap m;
  for (const auto& [k, val] : v->dict) {
    if (k->kind != PyValue::Kind::String) {
      *offender = "a " + kind_name(k->kind) + " key";
      return false;
    }
    if (val->kind != PyValue::Kind::Tensor) {
      *offender = "'" + k->s + "' (" + kind_name(val->kind) + ")";
      return false;
    }
    if (m.count(k->s)) {
      *offender = "'" + k->s + "' (twice)";
      return false;
    }
    m[k->s] = val->tensor;
  }
  *out = std::move(m);
  return true;
}

TensorMap state_dict_of(const PyRef& root, const std::string& path, std::string* container) {
  TensorMap out;
  std::string offender;
  if (as_tensor_dict(root, &out, &offender)) return out;
  if (root->kind == PyValue::Kind::Dict) {
    // A training checkpoint: {"state_dict": {...}, "epoch": 3, "optimizer": {...}}.
    for (const char* key : {"state_dict", "model_state_dict", "model"})
      for (const auto& [k, v] : root->dict) {
        std::string inner;
        if (k->kind == PyValue::Kind::String && k->s == key && as_tensor_dict(v, &out, &inner)) {
          if (container) *container = key;
          return out;
        }
      }
    bad(path, "it holds a dict whose entry " + offender +
                  " is not a tensor, and no 'state_dict' / 'model_state_dict' / 'model' entry holding one");
  }
  bad(path, "it holds a " + kind_name(root->kind) + ", not a state_dict (a dict of name -> tensor)");
}

// The same walk over LibTorch's IValue (the fallback reader's result).
TensorMap state_dict_of(const c10::IValue& root, const std::string& path, std::string* container) {
  if (!root.isGenericDict()) bad(path, std::string("it holds a ") + root.tagKind() + ", not a state_dict");
  // A training checkpoint written from C++: unwrap it as the primary reader does.
  const auto dict = root.toGenericDict();
  for (const char* key : {"state_dict", "model_state_dict", "model"}) {
    const auto it = dict.find(c10::IValue(std::string(key)));
    if (it != dict.end() && it->value().isGenericDict()) {
      if (container) *container = key;
      return state_dict_of(it->value(), path, nullptr);
    }
  }
  TensorMap out;
  for (const auto& kv : root.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor()) bad(path, "it holds a dict that is not name -> tensor");
    out[kv.key().toStringRef()] = kv.value().toTensor().detach().to(torch::kCPU);
  }
  return out;
}

}  // namespace

bool looks_like_torch_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4];
  return in.read(magic, 4) && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

namespace {

// A record's bytes. LibTorch's getRecord throws c10::Error for a record it cannot extract (the
// entry's encryption flag set, an unknown compression method, a CRC mismatch; found by
// fuzz/harness_torch_pt, where it escaped as c10::Error): the archive is damaged.
std::tuple<at::DataPtr, std::size_t> record_of(caffe2::serialize::PyTorchStreamReader& zip, const std::string& name,
                                               const std::string& path) {
  try {
    return zip.getRecord(name);
  } catch (const c10::Error& e) {
    bad(path, "cannot extract its record '" + name + "' (" + first_line(e) + "); copy or download the file again");
  }
}

}  // namespace

TensorMap read_torch_state_dict(const std::string& path, std::string* container) {
  if (container) container->clear();
  {
    std::ifstream probe(path, std::ios::binary);  // a clear FileError (with the OS reason) first
    if (!probe) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  }
  // LibTorch's zip reader allocates what the archive's directory claims, and the torch::pickle_load
  // fallback below trusts the zip's offsets and the pickle's lengths and stack (out-of-bounds reads,
  // gigabyte allocations and segfaults on damaged files, found by fuzz/harness_torch_pt): check the
  // archive's structure and its pickle before LibTorch sees the file.
  {
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) > kMaxZipUncompressed && !ec)
      bad(path, "the file is larger than " + std::to_string(kMaxZipUncompressed >> 30) + " GiB");
    const std::string bytes = read_file(path);
    if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0)
      bad(path, "it is not a zip archive (torch.save writes zip files since PyTorch 1.6; re-save it with "
                "torch.save(model.state_dict(), path) from a recent PyTorch)");
    if (const std::string problem = check_torch_archive(bytes); !problem.empty())
      bad(path, problem + "; copy or download the file again");
  }
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip;
  try {
    zip = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    bad(path, "not a readable torch.save zip archive (" + first_line(e) + ")");
  }
  if (!zip->hasRecord("data.pkl")) bad(path, "the archive has no data.pkl (not written by torch.save?)");
  if (zip->hasRecord("byteorder")) {
    auto [ptr, n] = record_of(*zip, "byteorder", path);
    const std::string order(static_cast<const char*>(ptr.get()), n);
    if (order != "little") bad(path, "it was saved on a '" + order + "'-endian machine; only little-endian files are supported");
  }
  auto [pkl_ptr, pkl_size] = record_of(*zip, "data.pkl", path);
  const std::string pkl(static_cast<const char*>(pkl_ptr.get()), pkl_size);

  StorageLoader loader = [&](const std::string& key, torch::ScalarType dtype, std::int64_t numel) {
    const std::string record = "data/" + key;
    if (!zip->hasRecord(record)) bad(path, "the archive lacks storage record '" + record + "'");
    auto [ptr, n] = record_of(*zip, record, path);
    // Compare before multiplying: a corrupt element count must not overflow into a small size.
    if (static_cast<std::uint64_t>(numel) > n / c10::elementSize(dtype))
      bad(path, "storage record '" + record + "' has " + std::to_string(n) + " bytes, too few for " + std::to_string(numel) + " elements");
    const std::size_t need = static_cast<std::size_t>(numel) * c10::elementSize(dtype);
    if (n < need)
      bad(path, "storage record '" + record + "' has " + std::to_string(n) + " bytes but " + std::to_string(need) + " are needed");
    torch::Tensor t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (need) std::memcpy(t.data_ptr(), ptr.get(), need);
    return t;
  };
  try {
    return state_dict_of(unpickle(pkl, loader), path, container);
  } catch (const PickleError& ours) {
    // Not the shape torch.save gives a state_dict. LibTorch's own reader knows what C++
    // torch::pickle_save writes (typed containers); try it before giving up.
    try {
      std::vector<char> data;
      {
        const std::string bytes = read_file(path);
        data.assign(bytes.begin(), bytes.end());
      }
      return state_dict_of(torch::pickle_load(data), path, container);
    } catch (const TorchPickleError&) {
      throw;
    } catch (const std::exception&) {
      bad(path, std::string(ours.what()) +
                    ". Save the weights from Python with torch.save(model.state_dict(), path) or convert them to safetensors");
    }
  }
}

}  // namespace ebm
