// Checkpoint prefix resolution: the many ways a user names a TF checkpoint.
#include "models/checkpoint/tf_bundle.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace ebm::tf {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Undoes the C escapes of a text-format proto string ("a\"b", octal "\303\251" for UTF-8 bytes).
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    if (c >= '0' && c <= '7') {
      int v = 0, n = 0;
      while (n < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), ++n;
      --i;
      out += static_cast<char>(v);
    } else {
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        default: out += c;  // \\ \" \' and anything else stand for themselves
      }
    }
  }
  return out;
}

// The model_checkpoint_path of a `checkpoint` state file (text-format CheckpointState), resolved
// against the directory. TF 1.x often stores absolute paths of the training machine; when that path
// does not exist here, the same file name inside `dir` is used, which is what a copied folder has.
std::string prefix_from_state_file(const fs::path& dir) {
  const fs::path state = dir / "checkpoint";
  std::ifstream in(state);
  if (!in) throw TfBundleError(state.string() + ": cannot be read; check its permissions");
  static const std::regex line_re(R"(^\s*model_checkpoint_path\s*:\s*"((?:[^"\\]|\\.)*)\"\s*$)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) continue;
    fs::path p = unescape(m[1].str());
    if (p.is_relative()) p = dir / p;
    if (fs::exists(p.string() + ".index")) return p.string();
    const fs::path local = dir / p.filename();
    if (fs::exists(local.string() + ".index")) return local.string();
    throw TfBundleError(state.string() + ": names checkpoint '" + m[1].str() + "', but neither " + p.string() +
                        ".index nor " + local.string() + ".index exists; copy the checkpoint's .index and .data "
                        "files into " + dir.string() + " or give the prefix directly");
  }
  throw TfBundleError(state.string() + ": has no model_checkpoint_path line, so it names no checkpoint; "
                      "give the checkpoint prefix (e.g. " + (dir / "model_30000").string() + ") instead");
}

}  // namespace

std::string shard_path(const std::string& prefix, int shard, int num_shards) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ".data-%05d-of-%05d", shard, num_shards);
  return prefix + buf;
}

std::string resolve_checkpoint_prefix(const std::string& path) {
  if (path.empty()) throw TfBundleError("no checkpoint given: pass a prefix such as model_30000, its .index file, "
                                        "or the directory with the `checkpoint` file");
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    if (fs::exists(dir / "checkpoint")) return prefix_from_state_file(dir);
    std::vector<fs::path> indexes;
    for (const auto& ent : fs::directory_iterator(dir, ec))
      if (ent.path().extension() == ".index") indexes.push_back(ent.path());
    if (indexes.size() == 1) return (indexes[0].parent_path() / indexes[0].stem()).string();
    std::ostringstream msg;
    msg << path << ": is a directory without a `checkpoint` file and with " << indexes.size()
        << " .index files; give the checkpoint prefix instead";
    if (!indexes.empty()) msg << " (e.g. " << (indexes[0].parent_path() / indexes[0].stem()).string() << ")";
    throw TfBundleError(msg.str());
  }
  std::string prefix = path;
  static const std::regex data_re(R"(^(.*)\.data-\d{5}-of-\d{5}$)");
  std::smatch m;
  if (ends_with(prefix, ".index")) {
    prefix.resize(prefix.size() - 6);
  } else if (ends_with(prefix, ".meta")) {
    prefix.resize(prefix.size() - 5);
  } else if (std::regex_match(path, m, data_re)) {
    prefix = m[1].str();
  }
  if (!fs::exists(prefix + ".index", ec))
    throw TfBundleError(prefix + ".index: does not exist; give the checkpoint prefix (model_30000 for "
                        "model_30000.index + model_30000.data-00000-of-00001), the .index file, or the "
                        "directory with the `checkpoint` file");
  return prefix;
}

bool looks_like_tf_checkpoint(const std::string& path) {
  try {
    resolve_checkpoint_prefix(path);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace ebm::tf
