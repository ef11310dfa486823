#include "engine/dist/collective.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef EBM_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef EBM_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <stdexcept>

namespace ebm::dist {

namespace {

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    throw std::invalid_argument(std::string(name) + "='" + v + "' is not an integer in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return static_cast<int>(x);
}

// The process group behind the interface: ProcessGroupGloo / ProcessGroupNCCL share these calls in
// LibTorch 1.13 and 2.x (their base class differs), so one template serves both.
template <class PG>
class GroupImpl final : public Collective {
 public:
  GroupImpl(c10::intrusive_ptr<PG> pg, c10::intrusive_ptr<c10d::Store> store, int rank, int world, std::string name)
      : pg_(std::move(pg)), store_(std::move(store)), rank_(rank), world_(world), name_(std::move(name)) {}

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend() const override { return name_; }

  void average(std::vector<torch::Tensor>& tensors) override {
    if (tensors.empty() || world_ == 1) return;
    std::vector<torch::Tensor> flat_parts;
    flat_parts.reserve(tensors.size());
    for (const auto& t : tensors) flat_parts.push_back(t.reshape({-1}));
    std::vector<torch::Tensor> bucket{torch::cat(flat_parts)};
    pg_->allreduce(bucket)->wait();
    bucket[0].div_(world_);
    int64_t at = 0;
    for (auto& t : tensors) {
      t.copy_(bucket[0].narrow(0, at, t.numel()).view_as(t));
      at += t.numel();
    }
  }

  torch::Tensor gather_rows(const torch::Tensor& part) override {
    if (world_ == 1) return part;
    std::vector<torch::Tensor> in{part.contiguous()};
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < world_; ++r) out[0].push_back(torch::empty_like(in[0]));
    pg_->allgather(out, in)->wait();
    return torch::cat(out[0], 0);
  }

 private:
  c10::intrusive_ptr<PG> pg_;
  c10::intrusive_ptr<c10d::Store> store_;  // kept alive: rank 0 serves the rendezvous from it
  int rank_, world_;
  std::string name_;
};

#ifdef EBM_HAVE_GLOO
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0')
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  // One host: loopback always works, whatever the machine's hostname resolves to.
  if (master_addr == "127.0.0.1" || master_addr == "localhost")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

}  // namespace

GroupOptions group_options_from_env() {
  GroupOptions o;
  o.world_size = env_int("EBM_DIST_WORLD_SIZE", 1, 1, 4096);
  o.rank = env_int("EBM_DIST_RANK", 0, 0, o.world_size - 1);
  if (const char* a = std::getenv("EBM_DIST_MASTER_ADDR"); a != nullptr && *a != '\0') o.master_addr = a;
  o.master_port = env_int("EBM_DIST_MASTER_PORT", o.master_port, 1, 65535);
  o.timeout = std::chrono::seconds(env_int("EBM_DIST_TIMEOUT_S", static_cast<int>(o.timeout.count()), 1, 86400));
  return o;
}

std::unique_ptr<Collective> Collective::join(const GroupOptions& opt, const torch::Device& device) {
  if (opt.world_size < 1 || opt.rank < 0 || opt.rank >= opt.world_size)
    throw std::invalid_argument("rank " + std::to_string(opt.rank) + " is outside a group of " +
                                std::to_string(opt.world_size));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(opt.timeout);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(opt.master_port);
    so.isServer = opt.rank == 0;
    so.numWorkers = static_cast<std::size_t>(opt.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(opt.master_addr, so);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(opt.rank) + " could not meet the other " +
                             std::to_string(opt.world_size - 1) + " process(es) at " + opt.master_addr + ":" +
                             std::to_string(opt.master_port) + " within " + std::to_string(opt.timeout.count()) +
                             " s (" + e.what() + "); is the port free and the master reachable?");
  }
#ifdef EBM_HAVE_NCCL
  if (device.is_cuda()) {
    auto o = c10d::ProcessGroupNCCL::Options::create();
    o->timeout = timeout;
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, opt.rank, opt.world_size, o);
    return std::make_unique<GroupImpl<c10d::ProcessGroupNCCL>>(pg, store, opt.rank, opt.world_size, "nccl");
  }
#endif
#ifdef EBM_HAVE_GLOO
  auto o = c10d::ProcessGroupGloo::Options::create(timeout);
  o->devices.push_back(gloo_device(opt.master_addr));
  o->threads = 2;
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, opt.rank, opt.world_size, o);
  return std::make_unique<GroupImpl<c10d::ProcessGroupGloo>>(pg, store, opt.rank, opt.world_size, "gloo");
#else
  (void)device;
  throw std::runtime_error(std::string("this build has no data-parallel backend for ") +
                           (device.is_cuda() ? "CUDA (NCCL)" : "the CPU (Gloo)") +
                           ": rebuild with the gloo headers (Debian: libgloo-dev) or a CUDA LibTorch with NCCL");
#endif
}

}  // namespace ebm::dist
