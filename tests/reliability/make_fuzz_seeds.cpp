// Writes the seed corpus of the fuzz harnesses: fuzz/corpus/<harness>/<name>, a few small valid
// inputs per parser (the fuzzer mutates from there; valid seeds get it past the format's magic and
// checksums at once). Run after a format change and commit the result:
//   cmake --build build --target ebm_make_fuzz_seeds && build/tests/reliability/ebm_make_fuzz_seeds fuzz/corpus
// Deterministic (fixed seeds), so re-running it changes no file unless a writer changed.
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"
#include "fuzz/png_fuzz_input.h"
#include "fuzz/tf_fuzz_input.h"
#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/safetensors.h"
#include "models/checkpoint/tf_bundle.h"
#include "tests/tf/bundle_writer.h"
#include "tests/support/file_bytes.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using namespace ebm;

namespace {

fs::path g_root;

void put(const std::string& harness, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / harness;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  std::cout << (dir / name).string() << "  " << bytes.size() << " bytes\n";
}

void safetensors_seeds() {
  torch::manual_seed(1);
  put("safetensors", "f32_with_metadata.safetensors",
      serialize_safetensors({{"w", torch::randn({2, 3})}, {"b", torch::zeros({3})}}, {{"format", "pt"}, {"step", "10"}}));
  TensorMap all;
  all["f64"] = torch::randn({2}, torch::kFloat64);
  all["f16"] = torch::randn({2}).to(torch::kFloat16);
  all["bf16"] = torch::randn({2}).to(torch::kBFloat16);
  all["i64"] = torch::arange(2, torch::kInt64);
  all["i32"] = torch::arange(2, torch::kInt32);
  all["i16"] = torch::arange(2, torch::kInt16);
  all["i8"] = torch::arange(2, torch::kInt8);
  all["u8"] = torch::arange(2, torch::kUInt8);
  all["bool"] = torch::tensor({true, false});
  put("safetensors", "all_dtypes.safetensors", serialize_safetensors(all));
  put("safetensors", "scalar_and_empty.safetensors",
      serialize_safetensors({{"s", torch::tensor(3.5f)}, {"e", torch::zeros({0, 4})}}));
  put("safetensors", "no_tensors.safetensors", serialize_safetensors({}, {{"note", "empty"}}));
}

void torch_pt_seeds() {
  torch::manual_seed(2);
  c10::Dict<std::string, torch::Tensor> sd;
  sd.insert("conv.weight", torch::randn({2, 1, 1, 1}));
  sd.insert("conv.bias", torch::zeros({2}));
  const auto plain = torch::pickle_save(sd);
  put("torch_pt", "state_dict.pt", std::string(plain.begin(), plain.end()));
  c10::impl::GenericDict ckpt(c10::StringType::get(), c10::AnyType::get());
  ckpt.insert("model_state_dict", sd);
  ckpt.insert("epoch", int64_t{3});
  const auto wrapped = torch::pickle_save(ckpt);
  put("torch_pt", "training_checkpoint.pt", std::string(wrapped.begin(), wrapped.end()));
  const auto list = torch::pickle_save(c10::List<int64_t>({1, 2, 3}));
  put("torch_pt", "not_a_dict.pt", std::string(list.begin(), list.end()));
}

void tf_bundle_seeds() {
  const fs::path tmp = fs::temp_directory_path() / "ebm-fuzz-seeds";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  // Raw mode: whole files as TF lays them out, from the TF-written fixture and from the test writer.
  const fs::path fixture = fs::path(EBM_SOURCE_DIR) / "tests/fixtures/tf/saved_model_half_plus_two_cpu";
  fuzz::TfFuzzInput raw;
  raw.index = ebm::test::file_bytes(fixture / "variables.index");
  raw.data = ebm::test::file_bytes(fixture / "variables.data-00000-of-00001");
  put("tf_bundle", "raw_tf_fixture", fuzz::encode_tf_fuzz_input(raw));
  for (bool snappy : {false, true}) {
    tftest::WriterOptions opt;
    opt.snappy = snappy;
    opt.block_size = 64;  // several index entries
    tftest::BundleWriter w((tmp / "m").string(), opt);
    w.add("layer/w", torch::arange(6, torch::kFloat).reshape({2, 3}));
    w.add("layer/b", torch::tensor({1, 2}, torch::kInt64));
    w.add("flag", torch::tensor({true, false, true}));
    w.finish();
    raw.index = ebm::test::file_bytes(tmp / "m.index");
    raw.data = ebm::test::file_bytes(tf::shard_path((tmp / "m").string(), 0, 1));
    put("tf_bundle", snappy ? "raw_writer_snappy" : "raw_writer_plain", fuzz::encode_tf_fuzz_input(raw));
  }
  // Records mode: the header and entries as protos, with a data shard matching them.
  fuzz::TfFuzzInput rec;
  rec.records_mode = true;
  rec.records.emplace_back("", tftest::encode_header(1, 0, 0));
  const torch::Tensor a = torch::arange(4, torch::kFloat).reshape({2, 2});
  const torch::Tensor b = torch::tensor({7}, torch::kInt32);
  for (const auto& [name, t] : {std::pair{std::string("a"), a}, std::pair{std::string("b"), b}}) {
    tf::BundleEntry e;
    e.name = name;
    e.dtype = tftest::tf_dtype_of(t.scalar_type());
    e.shape = t.sizes().vec();
    e.offset = static_cast<int64_t>(rec.data.size());
    e.size = t.numel() * t.element_size();
    e.masked_crc32c = crc32c::mask(crc32c::value(t.data_ptr(), static_cast<size_t>(e.size)));
    rec.records.emplace_back(name, tftest::encode_entry(e));
    rec.data.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(e.size));
  }
  put("tf_bundle", "records_two_tensors", fuzz::encode_tf_fuzz_input(rec));
  rec.snappy = true;
  rec.records.emplace_back("_CHECKPOINTABLE_OBJECT_GRAPH", std::string("\x08\x07\x12\x00", 4));
  put("tf_bundle", "records_snappy_object_graph", fuzz::encode_tf_fuzz_input(rec));
  fs::remove_all(tmp);
}

void png_image_seeds() {
  torch::manual_seed(3);
  put("png_image", "gray_1x1.png", encode_png(torch::full({1, 1, 1}, 0.5)));
  put("png_image", "rgb_3x2.png", encode_png(torch::rand({3, 2, 3})));
  put("png_image", "rgba_4x4.png", encode_png(torch::rand({4, 4, 4})));
}


// Recipes as the studio and `ebm sample` write them: the docs/recipe.md example (an And of two
// labelled terms, one masked, default sampler), the full feature set (Or/Not, annealed schedule,
// init image, sample ids, solo) and the smallest accepted one. Masks and images are tiny so that
// the data URIs stay short.
std::vector<std::pair<std::string, Recipe>> seed_recipes() {
  torch::manual_seed(4);
  std::vector<std::pair<std::string, Recipe>> out;
  Recipe docs;
  docs.app_version = "0.1.0";
  docs.models = {{"pos", "models/cubes_pos.safetensors", std::string(64, 'a')},
                 {"shape", "models/cubes_shape.safetensors", std::string(64, 'b')}};
  Node cyl = Node::term("cylinder", "shape", {0.f, 0.f, 1.f});
  cyl.mask = torch::zeros({4, 4});
  cyl.mask.slice(1, 0, 2).fill_(1.0);
  docs.composition = Node::op(NodeKind::And, {Node::term("position", "pos", {0.f, -0.8f}), cyl});
  docs.sampler.batch = 16;
  out.emplace_back("docs_example", docs);

  Recipe full;
  full.app_version = "0.1.0";
  full.models = {{"pos", "models/pos.safetensors", std::string(64, 'c')}, {"dsm", "/abs/dsm.pt", ""}};
  Node a = Node::term("position", "pos", {0.25f, -0.5f});
  Node b = Node::term("noise", "dsm", {}, 0.5);
  b.solo = true;
  b.enabled = false;
  Node n = Node::op(NodeKind::Not, {a, b});
  n.coefficient = 0.01;
  Node o = Node::op(NodeKind::Or, {n, Node::term("p2", "pos", {0.f, 0.f})});
  o.temperature = 50;
  full.composition = o;
  full.sampler.steps = 60;
  full.sampler.proj = ProjNorm::L2PerSample;
  full.sampler.proj_norm = 0.1;
  full.sampler.mode = SampleMode::Sequential;
  full.sampler.trailing_noise = true;
  full.sampler.schedule.levels = {{10, 1.0, 0.1, 0.3}, {5, 0.1, 0.01, 0.1}};
  full.sampler.seed = 0xFFFFFFFFFFFFull;
  full.sampler.batch = 3;
  full.sampler.sample_ids = {4, 9, 1};
  full.sampler.init = InitMode::Image;
  full.sampler.init_image = torch::rand({3, 2, 2});
  full.sampler.device = "cuda:0";
  out.emplace_back("annealed_or_not_init_image", full);

  Recipe small;
  small.models = {{"m", "m.safetensors", ""}};
  small.composition = Node::term("t", "m");
  small.sampler.batch = 1;
  out.emplace_back("one_term", small);
  return out;
}

void recipe_json_seeds() {
  for (const auto& [name, r] : seed_recipes()) put("recipe_json", name + ".json", recipe_to_string(r));
}

// Exported PNGs as `ebm sample --out` writes them (a 2-image grid with its recipe in the iTXt
// chunk: zlib-compressed above 1 KiB, plain below), in the CRC-fixing mode of png_fuzz_input.h, plus
// one raw file and a PNG without a recipe.
void png_recipe_seeds() {
  const fs::path tmp = fs::temp_directory_path() / "ebm-fuzz-seeds-png";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const torch::Tensor images = torch::rand({2, 3, 3, 3});
  GridOptions opt;
  opt.padding = 1;
  for (const auto& [name, r] : seed_recipes()) {
    if (name == "annealed_or_not_init_image") continue;  // the JSON corpus covers it; keeps the seeds small
    const fs::path p = tmp / (name + ".png");
    write_grid_png(p.string(), images, opt, &r);
    const std::string bytes = ebm::test::file_bytes(p);
    put("png_recipe", name + ".png.in", fuzz::encode_png_fuzz_input(bytes, true));
    if (name == "one_term") put("png_recipe", name + "_raw.png.in", fuzz::encode_png_fuzz_input(bytes, false));
  }
  const fs::path plain = tmp / "plain.png";
  write_grid_png(plain.string(), images, opt, nullptr);
  put("png_recipe", "no_recipe.png.in", fuzz::encode_png_fuzz_input(ebm::test::file_bytes(plain), true));
  fs::remove_all(tmp);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <corpus dir, e.g. fuzz/corpus>\n";
    return 2;
  }
  g_root = argv[1];
  try {
    safetensors_seeds();
    torch_pt_seeds();
    tf_bundle_seeds();
    png_image_seeds();
    recipe_json_seeds();
    png_recipe_seeds();
  } catch (const std::exception& e) {
    std::cerr << "ebm_make_fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
