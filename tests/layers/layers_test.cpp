// The house rules of docs/architecture.md, checked on the source tree itself: which directory may
// include what, that the engine's rooms include each other without cycles, and that no source file
// grows past 500 lines. A failure names the file, the line and the rule, and what to do instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = EBM_SOURCE_DIR;

struct Include {
  std::string file;    // relative to the source root, e.g. "engine/sampling/sampler.cpp"
  int line = 0;
  std::string target;  // what is included, e.g. "engine/energy/node.h" or "torch/torch.h"
  bool angled = false; // <…> rather than "…"
};

bool is_source(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".h" || ext == ".cpp" || ext == ".cu" || ext == ".cuh" || ext == ".hpp";
}

std::vector<std::string> sources_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / dir))
    if (e.is_regular_file() && is_source(e.path())) out.push_back(fs::relative(e.path(), kRoot).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Include> includes_of(const std::string& file) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> out;
  std::ifstream in(kRoot / file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_search(line, m, kInclude)) out.push_back({file, n, m[2].str(), m[1].str() == "<"});
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string where(const Include& i) {
  return i.file + ":" + std::to_string(i.line) + " includes " + (i.angled ? "<" : "\"") + i.target +
         (i.angled ? ">" : "\"");
}

// Every include of the files under `dir` that `forbidden` flags, as readable lines.
std::vector<std::string> violations(const std::string& dir, const std::function<bool(const Include&)>& forbidden) {
  std::vector<std::string> out;
  for (const auto& f : sources_under(dir))
    for (const auto& i : includes_of(f))
      if (forbidden(i)) out.push_back(where(i));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

TEST(Layers, ModelsIncludeNothingFromEngineOrApp) {
  const auto bad = violations("models", [](const Include& i) {
    return !i.angled && (starts_with(i.target, "engine/") || starts_with(i.target, "app/"));
  });
  EXPECT_TRUE(bad.empty()) << "models/ is the bottom layer (LibTorch modules, configs, checkpoint formats); move what "
                              "these need into models/, or the code that needs them up into engine/:"
                           << joined(bad);
}

TEST(Layers, EngineIncludesNothingFromApp) {
  const auto bad = violations("engine", [](const Include& i) { return !i.angled && starts_with(i.target, "app/"); });
  EXPECT_TRUE(bad.empty()) << "engine/ never sees the front ends; pass values down instead:" << joined(bad);
}

TEST(Layers, PanelsIncludeNoTorch) {
  const auto bad = violations("app/studio/panels", [](const Include& i) {
    return starts_with(i.target, "torch/") || starts_with(i.target, "ATen/") || starts_with(i.target, "c10/");
  });
  EXPECT_TRUE(bad.empty()) << "panels draw values: put the number they need into the Snapshot (engine/session/"
                              "snapshot.h) or ask the engine for it, rather than doing tensor work in a panel:"
                           << joined(bad);
}

TEST(Layers, GpuIncludesOnlyItself) {
  const auto bad = violations("engine/gpu", [](const Include& i) {
    return !i.angled && starts_with(i.target, "engine/") && !starts_with(i.target, "engine/gpu/");
  });
  EXPECT_TRUE(bad.empty()) << "engine/gpu is the engine's floor (devices, streams, graphs, interop, precision): it "
                              "takes plain values, never the sampler's or the session's types:"
                           << joined(bad);
}

// The engine's rooms (its directories; the facade engine/session.h belongs to session/) include each
// other without a cycle, so each can be read, tested and changed from the rooms below it up.
std::string room_of(const std::string& path) {
  if (path == "engine/session.h") return "session";
  const auto rest = path.substr(std::string("engine/").size());
  const auto slash = rest.find('/');
  return slash == std::string::npos ? "(engine root)" : rest.substr(0, slash);
}

TEST(Layers, EngineRoomsHaveNoCycles) {
  std::map<std::string, std::map<std::string, std::string>> edges;  // room -> room -> an include that makes it
  for (const auto& f : sources_under("engine"))
    for (const auto& i : includes_of(f)) {
      if (i.angled || !starts_with(i.target, "engine/")) continue;
      const auto from = room_of(f), to = room_of(i.target);
      if (from != to && !edges[from].count(to)) edges[from][to] = where(i);
    }
  // Depth-first search for a back edge; report the cycle with one include per step.
  std::map<std::string, int> state;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::vector<std::string> cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& r) {
    state[r] = 1;
    stack.push_back(r);
    for (const auto& [to, why] : edges[r]) {
      if (state[to] == 1) {
        auto it = std::find(stack.begin(), stack.end(), to);
        for (; it != stack.end(); ++it) {
          const auto next = it + 1 != stack.end() ? *(it + 1) : to;
          cycle.push_back(*it + " -> " + next + " (" + edges[*it][next] + ")");
        }
        return true;
      }
      if (state[to] == 0 && visit(to)) return true;
    }
    stack.pop_back();
    state[r] = 2;
    return false;
  };
  std::vector<std::string> rooms;
  for (const auto& [r, _] : edges) rooms.push_back(r);
  for (const auto& r : rooms)
    if (state[r] == 0 && visit(r)) break;
  EXPECT_TRUE(cycle.empty()) << "engine rooms include each other in a cycle; move the shared piece down into the "
                                "room both use:"
                             << joined(cycle);
}

TEST(Layers, NoRootHeapInEngine) {
  std::vector<std::string> loose;
  for (const auto& e : fs::directory_iterator(kRoot / "engine"))
    if (e.is_regular_file() && is_source(e.path()) && e.path().filename() != "session.h")
      loose.push_back(fs::relative(e.path(), kRoot).generic_string());
  EXPECT_TRUE(loose.empty()) << "engine/'s root holds only the facade session.h; put these in the room they belong "
                                "to (sampling/, recipe/, gpu/, …):"
                             << joined(loose);
}

TEST(Layers, SourceFilesStayUnder500Lines) {
  constexpr int kMaxLines = 500;
  std::vector<std::string> long_files;
  for (const std::string dir : {"app", "engine", "models"})
    for (const auto& f : sources_under(dir)) {
      std::ifstream in(kRoot / f);
      const auto lines = std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
      if (lines > kMaxLines) long_files.push_back(f + ": " + std::to_string(lines) + " lines");
    }
  EXPECT_TRUE(long_files.empty()) << "files of one concept stay under " << kMaxLines
                                  << " lines (DESIGN.md, style 1); split these along a real interface:"
                                  << joined(long_files);
}

}  // namespace
