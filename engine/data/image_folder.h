// An image-folder dataset (`ebm train --data DIR`, issue #24): a directory of images (PNG or JPEG, any
// size; grey, RGB or RGBA — alpha is dropped) and a labels.csv whose header row starts with `file`
// (a path relative to the directory), then one numeric column per label value:
//
//   file,x,y,smiling
//   img/0001.jpg,0.25,-0.5,1
//
// The concept's label is the chosen columns in order (`label_columns`); a one-hot column holds class
// indices 0 … N−1 and expands to N values (`one_hot`). Continuous columns must lie in their declared
// range ([−1, 1] unless `ranges` says otherwise): a value outside it is an error that says what
// range was seen, rather than a silently clamped label.
//
// Each image is centre-cropped to a square (the shorter side; documented choice: nothing of the
// object is squeezed, the borders of wide images go) and resized with an antialiased filter to the
// model's size. The decoded set is one uint8 tensor [N,3,S,S]; with `cache` it is written to that
// file once (atomically) and memory-mapped on later loads whose files have not changed (the cache
// records the dataset hash), so a set larger than RAM is paged from disk.
//
// Every problem names the file and the CSV line: a missing or unreadable image, a row with too few
// columns or a value that is not a number, a header without `file`, an empty directory, a file listed
// twice, labels outside their range.
#pragma once

#include "models/label_schema.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ebm::data {

class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageFolderOptions {
  std::string dir;
  std::vector<std::string> label_columns;             // CSV columns that make the label, in order
  std::map<std::string, int> one_hot;                 // column → N: class indices expand to N values
  std::map<std::string, std::pair<float, float>> ranges;  // column → [lo, hi] (default [−1, 1])
  int size = 64;                                      // 64 or 128
  std::string cache;                                  // cache file ("" = decode every time)
  void validate() const;                              // throws std::invalid_argument naming the option
};

struct ImageFolderData {
  torch::Tensor images;            // uint8 [N,3,S,S] on the CPU (memory-mapped when read from a cache)
  torch::Tensor labels;            // float [N,L]
  LabelSchema schema;              // one slot per label value: the column's name (one-hot: "col=k")
  std::vector<std::string> files;  // as listed in labels.csv
  std::string sha256;              // of labels.csv and every listed file's bytes, in order
  bool from_cache = false;
};

// Reads the folder. Throws DatasetError naming the file and line of the first problem found.
ImageFolderData load_image_folder(const ImageFolderOptions& opt);

// Decodes one image file (PNG or JPEG) as float [1,3,H,W] in [0,1]; throws ImageError naming it.
torch::Tensor load_image_file(const std::string& path);

// Centre-crops `img` [1,3,H,W] to a square and resizes it (antialiased) to size×size.
torch::Tensor crop_and_resize(const torch::Tensor& img, int size);

}  // namespace ebm::data
