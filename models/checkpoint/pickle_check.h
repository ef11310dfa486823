// Check of the pickle programs inside a torch.save archive before LibTorch's unpickler runs them.
//
// Why: LibTorch 1.13's unpickler allocates what a length field claims before reading the bytes
// (BINUNICODE/BINBYTES/LONG4 lengths, memo indices), so a 1 KiB damaged .pt could make it allocate
// and zero gigabytes (found by fuzz/harness_torch_pt; reproducers in fuzz/regressions/torch_pt/).
// It also pops its stack without checking for underflow: a REDUCE, BUILD, NEWOBJ, TUPLE1-3 or
// BINPERSID on a short stack crashed it. This is a linear scan of the opcode stream — no objects are
// built — that checks every length against the bytes actually left and every memo index against
// the program's size, simulates the stack depth (with Python's rule that an opcode sees only what
// lies above the topmost MARK), and rejects opcodes no pickle protocol defines.
#pragma once

#include <string>
#include <string_view>

namespace ebm {

// "" when `program` is a well-formed pickle opcode stream ending in STOP whose every length and
// memo index is plausible; otherwise what is wrong and at which byte offset.
std::string check_pickle_program(std::string_view program);

// The zip structure (zip_check.h) plus check_pickle_program on every .pkl entry of the archive
// (torch.save stores them uncompressed; a compressed one is refused). "" when all is well.
std::string check_torch_archive(std::string_view bytes);

}  // namespace ebm
