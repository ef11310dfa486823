// A 5×7 bitmap font for the row/column labels of exported grids: ASCII letters (lower case drawn as
// upper case), digits and common punctuation. Tiny and dependency-free, so a grid renders the same
// on every machine with no font files installed.
#pragma once

#include <cstdint>
#include <string>

namespace ebm {

constexpr int kGlyphW = 5, kGlyphH = 7;
// Rows top to bottom; bit 4 is the leftmost pixel. Unknown characters draw as a hollow box.
const std::uint8_t* glyph5x7(char c);
// Width in pixels of `text` at `scale` (one blank column between glyphs).
int text_width(const std::string& text, int scale);

}  // namespace ebm
