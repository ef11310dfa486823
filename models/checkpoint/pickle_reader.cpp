#include "models/checkpoint/pickle_reader.h"

#include <cstring>
#include <unordered_map>

namespace ebm {

namespace {

// Opcodes of the pickle protocol (Lib/pickletools.py documents each); only the ones torch.save
// emits for containers of tensors are accepted.
enum Op : unsigned char {
  MARK = '(', STOP = '.', BININT = 'J', BININT1 = 'K', BININT2 = 'M', NONE = 'N', BINPERSID = 'Q',
  REDUCE = 'R', BINSTRING = 'T', SHORT_BINSTRING = 'U', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b',
  GLOBAL = 'c', APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j', EMPTY_LIST = ']', BINPUT = 'q',
  LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
  EMPTY_DICT = '}', PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88,
  NEWFALSE = 0x89, LONG1 = 0x8a, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, MEMOIZE = 0x94,
  STACK_GLOBAL = 0x93, FRAME = 0x95,
};

struct StorageName {
  const char* name;
  torch::ScalarType dtype;
};
const StorageName kStorages[] = {
    {"DoubleStorage", torch::kFloat64}, {"FloatStorage", torch::kFloat32}, {"HalfStorage", torch::kFloat16},
    {"BFloat16Storage", torch::kBFloat16}, {"LongStorage", torch::kInt64}, {"IntStorage", torch::kInt32},
    {"ShortStorage", torch::kInt16},     {"CharStorage", torch::kInt8},    {"ByteStorage", torch::kUInt8},
    {"BoolStorage", torch::kBool},
};

PyRef make(PyValue::Kind k) {
  auto v = std::make_shared<PyValue>();
  v->kind = k;
  return v;
}

class Machine {
 public:
  Machine(const std::string& bytes, const StorageLoader& loader) : b_(bytes), load_(loader) {}

  PyRef run() {
    while (true) {
      const std::size_t at = pos_;
      const unsigned char op = u8();
      switch (op) {
        case PROTO: u8(); break;
        case FRAME: take(8); break;
        case STOP:
          if (stack_.size() != 1) fail(at, "STOP with " + std::to_string(stack_.size()) + " values on the stack");
          return stack_.back();
        case MARK: marks_.push_back(stack_.size()); break;
        case NONE: stack_.push_back(make(PyValue::Kind::None)); break;
        case NEWTRUE: case NEWFALSE: {
          auto v = make(PyValue::Kind::Bool);
          v->i = op == NEWTRUE;
          stack_.push_back(v);
          break;
        }
        case BININT: push_int(static_cast<std::int32_t>(le(4))); break;
        case BININT1: push_int(u8()); break;
        case BININT2: push_int(static_cast<std::int64_t>(le(2))); break;
        case LONG1: {
          const unsigned n = u8();
          if (n > 8) fail(at, "integer of " + std::to_string(n) + " bytes is too large");
          std::uint64_t v = n ? le(n) : 0;
          if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);  // sign-extend
          push_int(static_cast<std::int64_t>(v));
          break;
        }
        case BINFLOAT: {
          std::uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | u8();  // big-endian
          auto v = make(PyValue::Kind::Float);
          std::memcpy(&v->f, &bits, 8);
          stack_.push_back(v);
          break;
        }
        case BINUNICODE: push_str(take(le(4))); break;
        case SHORT_BINUNICODE: case SHORT_BINSTRING: push_str(take(u8())); break;
        case BINUNICODE8: push_str(take(le(8))); break;
        case BINSTRING: push_str(take(le(4))); break;
        case EMPTY_TUPLE: stack_.push_back(make(PyValue::Kind::Tuple)); break;
        case TUPLE1: case TUPLE2: case TUPLE3: {
          const std::size_t n = op - TUPLE1 + 1;
          need(n, at);
          auto t = make(PyValue::Kind::Tuple);
          t->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          stack_.push_back(t);
          break;
        }
        case TUPLE: {
          auto t = make(PyValue::Kind::Tuple);
          t->items = pop_mark(at);
          stack_.push_back(t);
          break;
        }
        case EMPTY_LIST: stack_.push_back(make(PyValue::Kind::List)); break;
        case EMPTY_DICT: stack_.push_back(make(PyValue::Kind::Dict)); break;
        case APPEND: {
          PyRef v = pop(at);
          expect(top(at), PyValue::Kind::List, at, "APPEND")->items.push_back(v);
          break;
        }
        case APPENDS: {
          auto vs = pop_mark(at);
          auto& l = expect(top(at), PyValue::Kind::List, at, "APPENDS")->items;
          l.insert(l.end(), vs.begin(), vs.end());
          break;
        }
        case SETITEM: {
          PyRef v = pop(at), k = pop(at);
          expect(top(at), PyValue::Kind::Dict, at, "SETITEM")->dict.emplace_back(k, v);
          break;
        }
        case SETITEMS: {
          auto kv = pop_mark(at);
          if (kv.size() % 2) fail(at, "SETITEMS with an odd number of values");
          auto& d = expect(top(at), PyValue::Kind::Dict, at, "SETITEMS")->dict;
          for (std::size_t i = 0; i < kv.size(); i += 2) d.emplace_back(kv[i], kv[i + 1]);
          break;
        }
        case BINPUT: memo_[u8()] = top(at); break;
        case LONG_BINPUT: memo_[static_cast<std::uint32_t>(le(4))] = top(at); break;
        case MEMOIZE: memo_[static_cast<std::uint32_t>(memo_.size())] = top(at); break;
        case BINGET: get(u8(), at); break;
        case LONG_BINGET: get(static_cast<std::uint32_t>(le(4)), at); break;
        case GLOBAL: {
          std::string module = line(at), name = line(at);
          stack_.push_back(global(module, name, at));
          break;
        }
        case STACK_GLOBAL: {
          PyRef name = pop(at), module = pop(at);
          if (name->kind != PyValue::Kind::String || module->kind != PyValue::Kind::String) fail(at, "STACK_GLOBAL needs two strings");
          stack_.push_back(global(module->s, name->s, at));
          break;
        }
        case REDUCE: {
          PyRef args = pop(at), fn = pop(at);
          stack_.push_back(reduce(fn, expect(args, PyValue::Kind::Tuple, at, "REDUCE"), at));
          break;
        }
        case BUILD: {
          pop(at);  // instance state: an OrderedDict's _metadata (module versions) — not needed
          const auto k = top(at)->kind;
          if (k != PyValue::Kind::Dict && k != PyValue::Kind::Tensor) fail(at, "BUILD on a " + kind_name(k));
          break;
        }
        case BINPERSID: stack_.push_back(persistent(pop(at), at)); break;
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(at, std::string("unsupported pickle opcode ") + hex + " (not a plain state_dict?)");
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw PickleError("pickle byte " + std::to_string(at) + ": " + what);
  }
  unsigned char u8() {
    if (pos_ >= b_.size()) fail(pos_, "unexpected end of the pickle (truncated file?)");
    return static_cast<unsigned char>(b_[pos_++]);
  }
  std::uint64_t le(unsigned n) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(u8()) << (8 * i);
    return v;
  }
  std::string take(std::uint64_t n) {
    if (n > b_.size() - pos_) fail(pos_, "a " + std::to_string(n) + "-byte string runs past the end of the pickle");
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string line(std::size_t at) {
    const auto nl = b_.find('\n', pos_);
    if (nl == std::string::npos) fail(at, "GLOBAL without a newline");
    std::string s = b_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  void push_int(std::int64_t v) {
    auto p = make(PyValue::Kind::Int);
    p->i = v;
    stack_.push_back(p);
  }
  void push_str(std::string s) {
    auto p = make(PyValue::Kind::String);
    p->s = std::move(s);
    stack_.push_back(p);
  }
  void need(std::size_t n, std::size_t at) const {
    if (stack_.size() < n + (marks_.empty() ? 0 : marks_.back())) fail(at, "stack underflow (malformed pickle)");
  }
  PyRef pop(std::size_t at) {
    need(1, at);
    PyRef v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyRef top(std::size_t at) const {
    if (stack_.empty()) fail(at, "stack underflow (malformed pickle)");
    return stack_.back();
  }
  std::vector<PyRef> pop_mark(std::size_t at) {
    if (marks_.empty()) fail(at, "no MARK to pop to (malformed pickle)");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) fail(at, "MARK above the stack (malformed pickle)");
    std::vector<PyRef> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  PyRef expect(const PyRef& v, PyValue::Kind k, std::size_t at, const char* op) const {
    if (v->kind != k) fail(at, std::string(op) + " expects a " + kind_name(k) + ", got a " + kind_name(v->kind));
    return v;
  }
  void get(std::uint32_t key, std::size_t at) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail(at, "memo key " + std::to_string(key) + " was never stored");
    stack_.push_back(it->second);
  }

  // The whitelist. Everything else is refused: a pickle can name any Python callable.
  PyRef global(const std::string& module, const std::string& name, std::size_t at) {
    auto g = make(PyValue::Kind::Global);
    g->s = module + "." + name;
    if (module == "collections" && name == "OrderedDict") return g;
    if (module == "torch._utils" &&
        (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state"))
      return g;
    if (module == "torch")
      for (const auto& s : kStorages)
        if (name == s.name) {
          auto t = make(PyValue::Kind::StorageType);
          t->dtype = s.dtype;
          t->s = g->s;
          return t;
        }
    fail(at, "the file references '" + g->s + "', which a state_dict of plain tensors does not contain; refusing to load it");
  }

  std::int64_t as_int(const PyRef& v, std::size_t at, const char* what) const {
    if (v->kind != PyValue::Kind::Int && v->kind != PyValue::Kind::Bool) fail(at, std::string(what) + " must be an integer");
    return v->i;
  }

  PyRef reduce(const PyRef& fn, const PyRef& args, std::size_t at) {
    if (fn->kind != PyValue::Kind::Global) fail(at, "REDUCE on a " + kind_name(fn->kind));
    const auto& a = args->items;
    if (fn->s == "collections.OrderedDict") {
      auto d = make(PyValue::Kind::Dict);
      if (a.size() == 1 && a[0]->kind == PyValue::Kind::List) {  // OrderedDict([[k, v], ...])
        for (const auto& kv : a[0]->items) {
          if ((kv->kind != PyValue::Kind::List && kv->kind != PyValue::Kind::Tuple) || kv->items.size() != 2)
            fail(at, "OrderedDict item is not a pair");
          d->dict.emplace_back(kv->items[0], kv->items[1]);
        }
      } else if (!a.empty()) {
        fail(at, "OrderedDict with unexpected arguments");
      }
      return d;
    }
    if (fn->s == "torch._utils._rebuild_parameter" || fn->s == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != PyValue::Kind::Tensor) fail(at, fn->s + " without a tensor");
      return a[0];
    }
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (a.size() < 4 || a[0]->kind != PyValue::Kind::Tensor || a[2]->kind != PyValue::Kind::Tuple ||
        a[3]->kind != PyValue::Kind::Tuple)
      fail(at, "_rebuild_tensor_v2 with unexpected arguments");
    const torch::Tensor& storage = a[0]->tensor;
    const std::int64_t offset = as_int(a[1], at, "storage offset");
    std::vector<std::int64_t> size, stride;
    for (const auto& v : a[2]->items) size.push_back(as_int(v, at, "tensor size"));
    for (const auto& v : a[3]->items) stride.push_back(as_int(v, at, "tensor stride"));
    if (size.size() != stride.size()) fail(at, "tensor size and stride differ in rank");
    // The view must stay inside its storage: check the largest element index it can reach.
    std::int64_t last = offset;
    bool empty = false;
    for (std::size_t i = 0; i < size.size(); ++i) {
      if (size[i] < 0 || stride[i] < 0) fail(at, "negative tensor size or stride");
      std::int64_t reach = 0;
      if (size[i] == 0) empty = true;
      else if (__builtin_mul_overflow(size[i] - 1, stride[i], &reach) || __builtin_add_overflow(last, reach, &last))
        fail(at, "tensor size/stride overflow");
    }
    if (offset < 0 || (!empty && last >= storage.numel()))
      fail(at, "a tensor view reaches element " + std::to_string(last) + " of a storage of " +
                   std::to_string(storage.numel()) + " elements");
    auto t = make(PyValue::Kind::Tensor);
    t->tensor = empty ? torch::empty(size, storage.options()) : storage.as_strided(size, stride, offset).clone();
    return t;
  }

  // BINPERSID ('storage', storage_type, key, location, numel): a storage saved as its own record.
  PyRef persistent(const PyRef& pid, std::size_t at) {
    const auto& p = pid->items;
    if (pid->kind != PyValue::Kind::Tuple || p.size() < 5 || p[0]->kind != PyValue::Kind::String || p[0]->s != "storage" ||
        p[1]->kind != PyValue::Kind::StorageType || p[2]->kind != PyValue::Kind::String)
      fail(at, "unsupported persistent id (not a tensor storage)");
    const std::int64_t numel = as_int(p[4], at, "storage size");
    if (numel < 0) fail(at, "negative storage size");
    auto it = storages_.find(p[2]->s);
    if (it == storages_.end()) {
      auto t = make(PyValue::Kind::Tensor);
      t->tensor = load_(p[2]->s, p[1]->dtype, numel);
      it = storages_.emplace(p[2]->s, t).first;
    }
    return it->second;
  }

  const std::string& b_;
  const StorageLoader& load_;
  std::size_t pos_ = 0;
  std::vector<PyRef> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint32_t, PyRef> memo_;
  std::unordered_map<std::string, PyRef> storages_;  // tensors sharing a storage share one load
};

}  // namespace

std::string kind_name(PyValue::Kind k) {
  switch (k) {
    case PyValue::Kind::None: return "None";
    case PyValue::Kind::Bool: return "bool";
    case PyValue::Kind::Int: return "int";
    case PyValue::Kind::Float: return "float";
    case PyValue::Kind::String: return "str";
    case PyValue::Kind::Tuple: return "tuple";
    case PyValue::Kind::List: return "list";
    case PyValue::Kind::Dict: return "dict";
    case PyValue::Kind::Global: return "global";
    case PyValue::Kind::Tensor: return "tensor";
    case PyValue::Kind::StorageType: return "storage type";
  }
  return "?";
}

PyRef unpickle(const std::string& bytes, const StorageLoader& load_storage) {
  return Machine(bytes, load_storage).run();
}

}  // namespace ebm
