// Base64 (RFC 4648, standard alphabet, padded) for PNG masks and images embedded in recipe JSON.
#pragma once

#include <string>
#include <string_view>

namespace ebm {

std::string base64_encode(std::string_view bytes);
// Throws std::invalid_argument on a character outside the alphabet or bad padding. Whitespace is
// skipped (JSON written by hand may wrap long strings).
std::string base64_decode(std::string_view text);

// "data:image/png;base64,...." <-> PNG bytes. decode throws std::invalid_argument when the prefix
// is missing, naming what was expected.
std::string png_data_uri(std::string_view png_bytes);
std::string png_from_data_uri(std::string_view uri);

}  // namespace ebm
