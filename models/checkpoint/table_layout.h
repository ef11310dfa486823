// Bounds check of a LevelDB-format table (a TF checkpoint .index) before LevelDB reads it.
// LevelDB trusts block handles: it allocates `size` bytes from a handle before reading, and a size
// near 2^64 wraps its arithmetic. The footer has no CRC, so plain corruption can produce such a
// handle there; the index block is CRC-protected, but a crafted file could still carry one. This
// check decodes the footer and every handle of the index block and rejects any block that does not
// lie inside the file, so LevelDB only ever sees in-range handles.
#pragma once

#include <string>
#include <string_view>

namespace ebm::tf {

// "" when the footer magic, the metaindex/index handles and every data-block handle of the index
// block lie within `file`; otherwise what is wrong (no file name: the caller adds it).
std::string check_table_layout(std::string_view file);

}  // namespace ebm::tf
