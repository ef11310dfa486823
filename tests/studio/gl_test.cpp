// GL layer under Xvfb (Mesa llvmpipe in CI): the grid shader's cell arithmetic agrees with the CPU
// layout, the host texture stream round-trips the atlas bytes exactly, overlays and colormaps draw
// where they should, and the RAII handles release their names.
#include "engine/gpu/atlas.h"
#include "app/studio/gl/readback.h"
#include "app/studio/gl/texture_stream.h"
#include "app/studio/gl/view_renderer.h"
#include "app/studio/window.h"

#include <gtest/gtest.h>

using namespace ebm::studio;

namespace {

class GlTest : public ::testing::Test {
 protected:
  // A context failure must fail every test (an exception from SetUpTestSuite would only skip them).
  static void SetUpTestSuite() {
    try {
      lib_ = new GlfwLibrary();
      WindowOptions o;
      o.visible = false;
      o.width = 320;
      o.height = 240;
      win_ = new Window(o);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  void SetUp() override { ASSERT_NE(win_, nullptr) << "no OpenGL context: " << setup_error_; }
  static void TearDownTestSuite() {
    delete win_;
    delete lib_;
  }
  static GlfwLibrary* lib_;
  static Window* win_;
  static std::string setup_error_;
};
std::string GlTest::setup_error_;
GlfwLibrary* GlTest::lib_ = nullptr;
Window* GlTest::win_ = nullptr;

torch::Tensor test_images(int b, int h, int w) {
  torch::manual_seed(3);
  return torch::rand({b, 3, h, w});
}

}  // namespace

TEST_F(GlTest, ContextIs33Core) {
  GLint major = 0, minor = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &major);
  glGetIntegerv(GL_MINOR_VERSION, &minor);
  EXPECT_GE(major * 10 + minor, 33) << win_->gl_renderer();
}

TEST_F(GlTest, GridAtZoomOneReproducesTheAtlasExactly) {
  const int B = 6, H = 16, W = 16;
  auto images = test_images(B, H, W);
  auto layout = GridLayout::make(B, W, H, 2);
  gl::HostTextureStream stream(gl::TexFormat::RGBA8);
  stream.publish(images, layout);
  // Publish twice: the second lands in the other buffer and must be just as correct.
  stream.publish(images, layout);
  gl::ViewRenderer renderer;
  gl::Framebuffer fbo;
  gl::GridDrawParams p;
  p.layout = layout;
  renderer.draw_grid(fbo, layout.width(), layout.height(), stream.front(), p);
  auto img = gl::read_framebuffer(fbo.id(), layout.width(), layout.height(), true);
  auto expect = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
  fill_rgba_atlas(images, layout, expect);
  auto got_t = torch::from_blob(img.pixels.data(), {layout.height(), layout.width(), 4}, torch::kUInt8);
  // Inside the cells the shader shows exactly the uploaded bytes (nearest sampling at zoom 1).
  int mismatches = 0;
  for (int b = 0; b < B; ++b) {
    Rect r = layout.cell_rect(b);
    // Skip the 2-pixel outline ring (hover/selection outlines may be drawn there).
    auto a = got_t.narrow(0, static_cast<int>(r.y) + 2, H - 4).narrow(1, static_cast<int>(r.x) + 2, W - 4).narrow(2, 0, 3);
    auto e = expect.narrow(0, static_cast<int>(r.y) + 2, H - 4).narrow(1, static_cast<int>(r.x) + 2, W - 4).narrow(2, 0, 3);
    mismatches += (a != e).sum().item<int>();
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_F(GlTest, ZoomPanShowsTheRightSample) {
  const int B = 4, H = 8, W = 8;
  auto images = torch::zeros({B, 3, H, W});
  for (int b = 0; b < B; ++b) images[b][b % 3].fill_(1.f);  // sample 0 red, 1 green, 2 blue, 3 red
  auto layout = GridLayout::make(B, W, H, 1);
  gl::HostTextureStream stream(gl::TexFormat::RGBA8);
  stream.publish(images, layout);
  gl::ViewRenderer renderer;
  gl::Framebuffer fbo;
  gl::GridDrawParams p;
  p.layout = layout;
  p.view.fit_rect(layout.cell_rect(2), 64, 64);  // enlarge sample 2 (blue)
  renderer.draw_grid(fbo, 64, 64, stream.front(), p);
  auto img = gl::read_framebuffer(fbo.id(), 64, 64, true);
  const uint8_t* c = &img.pixels[(32 * 64 + 32) * 4];
  EXPECT_EQ(c[0], 0);
  EXPECT_EQ(c[1], 0);
  EXPECT_EQ(c[2], 255);
}

TEST_F(GlTest, MaskOverlayAndColormap) {
  auto layout = GridLayout::make(1, 8, 8, 0);
  gl::HostTextureStream stream(gl::TexFormat::RGBA8);
  stream.publish(torch::zeros({1, 3, 8, 8}), layout);
  // A mask that is 1 on the left half, 0 on the right.
  std::vector<float> m(64, 0.f);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 4; ++x) m[y * 8 + x] = 1.f;
  gl::Texture2D mask(8, 8, gl::TexFormat::R32F);
  mask.upload(m.data());
  gl::ViewRenderer renderer;
  gl::Framebuffer fbo;
  gl::GridDrawParams p;
  p.layout = layout;
  renderer.draw_grid(fbo, 8, 8, stream.front(), p);
  renderer.draw_mask_overlay(fbo, mask, p, {1.f, 0.f, 0.f, 0.5f}, false);
  auto img = gl::read_framebuffer(fbo.id(), 8, 8, true);
  EXPECT_NEAR(img.pixels[(4 * 8 + 1) * 4 + 0], 128, 2);  // left: half red over black
  EXPECT_EQ(img.pixels[(4 * 8 + 6) * 4 + 0], 0);          // right: untouched
  EXPECT_EQ(img.pixels[(4 * 8 + 1) * 4 + 3], 255);        // the FBO stays opaque

  gl::HostTextureStream field(gl::TexFormat::R32F);
  auto f = torch::zeros({1, 8, 8});
  f[0].narrow(1, 4, 4).fill_(1.f);
  field.publish(f, layout);
  gl::ColormapParams c;
  renderer.draw_colormap(fbo, 8, 8, field.front(), p, c);
  img = gl::read_framebuffer(fbo.id(), 8, 8, true);
  // viridis(0) = #440154, viridis(1) = #fde725.
  EXPECT_NEAR(img.pixels[(2 * 8 + 1) * 4 + 0], 0x44, 2);
  EXPECT_NEAR(img.pixels[(2 * 8 + 1) * 4 + 2], 0x54, 2);
  EXPECT_NEAR(img.pixels[(2 * 8 + 6) * 4 + 0], 0xfd, 2);
  EXPECT_NEAR(img.pixels[(2 * 8 + 6) * 4 + 1], 0xe7, 2);
}

TEST_F(GlTest, HandlesAreReleasedAndMovable) {
  GLuint name = 0;
  {
    gl::Texture2D t(4, 4, gl::TexFormat::RGBA8);
    name = t.id();
    EXPECT_TRUE(glIsTexture(name));
    gl::Texture2D moved = std::move(t);
    EXPECT_FALSE(t.valid());
    EXPECT_EQ(moved.id(), name);
  }
  EXPECT_FALSE(glIsTexture(name));
  static_assert(!std::is_copy_constructible_v<gl::Texture2D>);
  static_assert(!std::is_copy_constructible_v<gl::PixelBuffer>);
  static_assert(!std::is_copy_constructible_v<gl::Framebuffer>);
  static_assert(!std::is_copy_constructible_v<gl::ShaderProgram>);
  static_assert(std::is_nothrow_move_constructible_v<gl::Framebuffer>);
}

TEST_F(GlTest, BadShaderGivesTheDriversLog) {
  try {
    gl::ShaderProgram bad("broken", "#version 330 core\nvoid main(){gl_Position=vec4(0);}",
                          "#version 330 core\nout vec4 c; void main(){ c = undefined_thing; }");
    FAIL() << "expected a compile error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("broken"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("fragment"), std::string::npos);
  }
}
