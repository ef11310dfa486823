#pragma once
// A whole file as a string, for tests that compare, parse or print what a command wrote.
//
// One stream copy of the file buffer, not a std::istreambuf_iterator loop: the iterator costs a
// function call per byte, which the sanitizer builds (-O0) do not inline away — ModelFile's round
// trip of every network spent 84 of its 101 s in it under ASan (RELIABILITY.md, "CI time budget").
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ebm::test {

// The bytes of the file at `path`; empty when it is missing or cannot be read (the callers compare
// or parse the result, and a missing file fails there with the path in the message).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  if (in && in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
  return out.str();
}

}  // namespace ebm::test
