// The fuzz build compiles stb_image from Debian's header into the harness, so the PNG decoder
// itself runs instrumented (ASan sees its reads; libFuzzer sees its branches). The product links
// Debian's prebuilt libstb, built from this same header.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
