#include "models/checkpoint/pickle_check.h"

#include "models/checkpoint/zip_check.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

namespace ebm {

namespace {

// How each opcode's argument is laid out in the stream (pickletools' "arg" column, protocols 0-5).
enum class Arg {
  None, Fixed1, Fixed2, Fixed4, Fixed8,  // fixed-size binary argument
  Len1, Len4, Len8,                      // little-endian length, then that many bytes
  Line, TwoLines,                        // newline-terminated text
  Invalid
};

Arg arg_of(unsigned char op) {
  switch (op) {
    // No argument.
    case '(': case '.': case '0': case '1': case '2': case 'N': case 'R': case 'a': case 'b': case 'd':
    case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')': case 'u': case 'Q':
    case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91:
    case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
      return Arg::None;
    case 'K': case 'q': case 'h': case 0x80: case 0x82: return Arg::Fixed1;  // BININT1 BINPUT BINGET PROTO EXT1
    case 'M': case 0x83: return Arg::Fixed2;                                  // BININT2 EXT2
    case 'J': case 'r': case 'j': case 0x84: return Arg::Fixed4;              // BININT LONG_BINPUT LONG_BINGET EXT4
    case 'G': case 0x95: return Arg::Fixed8;                                  // BINFLOAT FRAME
    case 'U': case 0x8c: case 'C': case 0x8a: return Arg::Len1;               // SHORT_BINSTRING/UNICODE/BYTES LONG1
    case 'T': case 'X': case 'B': case 0x8b: return Arg::Len4;                // BINSTRING BINUNICODE BINBYTES LONG4
    case 0x8d: case 0x8e: case 0x96: return Arg::Len8;                        // BINUNICODE8 BINBYTES8 BYTEARRAY8
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'p': case 'g': case 'P': return Arg::Line;
    case 'c': case 'i': return Arg::TwoLines;                                  // GLOBAL INST
    default: return Arg::Invalid;
  }
}

// What an opcode does to the unpickler's stack. LibTorch 1.13 does not check for underflow (a REDUCE,
// BUILD, NEWOBJ, TUPLE1-3 or BINPERSID on a short stack crashed it), so the scan simulates the stack
// with Python's rule: an opcode sees only the items above the topmost MARK.
struct Effect {
  enum Kind { Plain, PushMark, Collapse, PopMark } kind = Plain;
  int needs = 0;  // Plain: items it consumes
  int delta = 0;  // Plain: change of depth; Collapse: items left after the mark (1 or 0)
  int below = 0;  // Collapse: items it needs below the mark (APPENDS/SETITEMS/ADDITEMS: the container)
};

Effect effect_of(unsigned char op) {
  switch (op) {
    case '(': return {Effect::PushMark};
    case '1': return {Effect::PopMark};
    case 't': case 'l': case 'd': case 0x91: case 'i': return {Effect::Collapse, 0, 1, 0};  // TUPLE LIST DICT FROZENSET INST
    case 'o': return {Effect::Collapse, 1, 1, 0};                                           // OBJ: class after the mark
    case 'e': case 'u': case 0x90: return {Effect::Collapse, 0, 0, 1};                      // APPENDS SETITEMS ADDITEMS
    case '.': return {Effect::Plain, 1, 0};                                                 // STOP: the result
    case '0': return {Effect::Plain, 1, -1};
    case '2': return {Effect::Plain, 1, 1};
    case 'q': case 'r': case 'p': case 0x94: case 'Q': case 0x98: return {Effect::Plain, 1, 0};  // PUTs BINPERSID
    case 0x85: return {Effect::Plain, 1, 0};                                                // TUPLE1
    case 'R': case 0x81: case 'b': case 0x93: case 'a': case 0x86: return {Effect::Plain, 2, -1};
    case 's': case 0x92: case 0x87: return {Effect::Plain, 3, -2};                          // SETITEM NEWOBJ_EX TUPLE3
    case 0x80: case 0x95: return {Effect::Plain, 0, 0};                                     // PROTO FRAME
    default: return {Effect::Plain, 0, 1};                                                  // every other opcode pushes one value
  }
}

bool is_memo_op(unsigned char op) { return op == 'q' || op == 'h' || op == 'r' || op == 'j' || op == 'p' || op == 'g'; }

std::uint64_t le(std::string_view s, std::size_t pos, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

std::string at(std::size_t pos) { return " at byte " + std::to_string(pos) + " of the pickle"; }

// Decimal value of a text memo index ("12"); UINT64_MAX when it is not a plain number.
std::uint64_t text_number(std::string_view line) {
  if (line.empty() || line.size() > 18) return UINT64_MAX;
  std::uint64_t v = 0;
  for (char c : line) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return UINT64_MAX;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::string check_pickle_program(std::string_view p) {
  // A pickler numbers memo entries 0, 1, 2 … one per PUT, so an index beyond the program's length
  // can only be damage (LibTorch would reserve memory for it).
  const std::uint64_t max_memo = p.size();
  std::int64_t depth = 0;
  std::vector<std::int64_t> marks;
  std::size_t pos = 0;
  while (pos < p.size()) {
    const std::size_t op_pos = pos;
    const auto op = static_cast<unsigned char>(p[pos++]);
    const std::size_t left = p.size() - pos;
    std::uint64_t memo = 0;
    switch (arg_of(op)) {
      case Arg::Invalid: return "unknown pickle opcode " + std::to_string(op) + at(op_pos);
      case Arg::None:
        if (op == '.' && pos != p.size()) return "data after the pickle's STOP opcode" + at(op_pos);
        break;
      case Arg::Fixed1: case Arg::Fixed2: case Arg::Fixed4: case Arg::Fixed8: {
        const int n = arg_of(op) == Arg::Fixed1 ? 1 : arg_of(op) == Arg::Fixed2 ? 2 : arg_of(op) == Arg::Fixed4 ? 4 : 8;
        if (left < static_cast<std::size_t>(n)) return "the pickle ends inside an opcode's argument" + at(op_pos);
        memo = le(p, pos, n);
        if (op == 0x95 && memo > left - 8) return "a pickle frame claims " + std::to_string(memo) + " bytes" + at(op_pos);
        pos += static_cast<std::size_t>(n);
        break;
      }
      case Arg::Len1: case Arg::Len4: case Arg::Len8: {
        const int n = arg_of(op) == Arg::Len1 ? 1 : arg_of(op) == Arg::Len4 ? 4 : 8;
        if (left < static_cast<std::size_t>(n)) return "the pickle ends inside a length field" + at(op_pos);
        const std::uint64_t len = le(p, pos, n);
        if (len > left - static_cast<std::size_t>(n))
          return "a pickle string/bytes field claims " + std::to_string(len) + " bytes but " +
                 std::to_string(left - static_cast<std::size_t>(n)) + " remain" + at(op_pos);
        pos += static_cast<std::size_t>(n) + static_cast<std::size_t>(len);
        break;
      }
      case Arg::Line: case Arg::TwoLines: {
        const int lines = arg_of(op) == Arg::Line ? 1 : 2;
        for (int i = 0; i < lines; ++i) {
          const std::size_t nl = p.find('\n', pos);
          if (nl == std::string_view::npos) return "the pickle ends inside a text argument" + at(op_pos);
          if (i == 0 && is_memo_op(op)) memo = text_number(p.substr(pos, nl - pos));
          pos = nl + 1;
        }
        break;
      }
    }
    if (is_memo_op(op) && memo > max_memo)
      return "a pickle memo index " + std::to_string(memo) + " is far beyond the program's size" + at(op_pos);
    const Effect e = effect_of(op);
    const std::int64_t floor = marks.empty() ? 0 : marks.back();
    switch (e.kind) {
      case Effect::PushMark:
        marks.push_back(depth);
        break;
      case Effect::PopMark:
        if (marks.empty()) return "a pickle POP_MARK without a MARK" + at(op_pos);
        depth = marks.back();
        marks.pop_back();
        break;
      case Effect::Collapse:
        if (marks.empty()) return "pickle opcode " + std::to_string(op) + " needs a MARK and there is none" + at(op_pos);
        if (depth - marks.back() < e.needs) return "pickle opcode " + std::to_string(op) + " finds too few items" + at(op_pos);
        depth = marks.back();
        marks.pop_back();
        if (depth - (marks.empty() ? 0 : marks.back()) < e.below)
          return "pickle opcode " + std::to_string(op) + " has no container to add to" + at(op_pos);
        depth += e.delta;
        break;
      case Effect::Plain:
        if (depth - floor < e.needs)
          return "pickle opcode " + std::to_string(op) + " needs " + std::to_string(e.needs) + " stack items but finds " +
                 std::to_string(depth - floor) + at(op_pos);
        depth += e.delta;
        break;
    }
    if (op == '.') return "";
  }
  return "the pickle has no STOP opcode (truncated)";
}

std::string check_torch_archive(std::string_view bytes) {
  std::vector<ZipEntry> entries;
  if (auto p = check_zip_archive(bytes, &entries); !p.empty()) return p;
  bool any = false;
  for (const ZipEntry& e : entries) {
    std::string lower = e.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.size() < 4 || lower.compare(lower.size() - 4, 4, ".pkl") != 0) continue;
    if (e.method != 0) return "its pickle '" + e.name + "' is compressed (torch.save never compresses it)";
    if (auto p = check_pickle_program(bytes.substr(e.data_offset, e.compressed)); !p.empty())
      return "its pickle '" + e.name + "' is damaged: " + p;
    any = true;
  }
  if (!any) return "it holds no pickle (data.pkl), so it is not a torch.save archive";
  return "";
}

}  // namespace ebm
