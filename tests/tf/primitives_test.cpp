// CRC32C and the protobuf wire reader: known vectors and malformed input.
#include "models/checkpoint/crc32c.h"
#include "models/checkpoint/proto_wire.h"
#include "models/checkpoint/tf_bundle_entry.h"
#include "tests/tf/bundle_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace ebm {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) B.4 test vectors and the classic "123456789" check value.
  EXPECT_EQ(crc32c::value("123456789", 9), 0xe3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::value(zeros.data(), zeros.size()), 0x8a9136aau);
  const std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::value(ones.data(), ones.size()), 0x62a8ab43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc += static_cast<char>(i);
  EXPECT_EQ(crc32c::value(inc.data(), inc.size()), 0x46dd794eu);
}

TEST(Crc32c, ExtendEqualsWhole) {
  const std::string s = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t cut = 0; cut <= s.size(); ++cut)
    EXPECT_EQ(crc32c::extend(crc32c::value(s.data(), cut), s.data() + cut, s.size() - cut),
              crc32c::value(s.data(), s.size()));
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x12345678u}) {
    EXPECT_EQ(crc32c::unmask(crc32c::mask(v)), v);
    EXPECT_NE(crc32c::mask(v), v);
  }
}

TEST(ProtoWire, DecodesEveryWireType) {
  // field 1 varint 300, field 2 bytes "hi", field 3 fixed32, field 4 fixed64, field 5 varint -1
  std::string m = {'\x08', '\xac', '\x02', '\x12', '\x02', 'h', 'i', '\x1d', '\x78', '\x56', '\x34', '\x12',
                   '\x21', 1, 0, 0, 0, 0, 0, 0, '\x80', '\x28'};
  for (int i = 0; i < 9; ++i) m += '\xff';
  m += '\x01';
  proto::WireReader r(m);
  auto f = r.next();
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.varint, 300u);
  f = r.next();
  EXPECT_EQ(f.bytes, "hi");
  f = r.next();
  EXPECT_EQ(f.fixed32, 0x12345678u);
  f = r.next();
  EXPECT_EQ(f.fixed64, 0x8000000000000001ull);
  f = r.next();
  EXPECT_EQ(f.number, 5u);
  EXPECT_EQ(f.as_int64(), -1);
  EXPECT_TRUE(r.done());
}

TEST(ProtoWire, MalformedInputThrows) {
  const std::vector<std::string> bad = {
      std::string("\x08", 1),                 // varint missing
      std::string("\x08\x80\x80", 3),         // truncated varint
      std::string(11, '\x80'),                // tag varint longer than 10 bytes
      std::string("\x12\x05hi", 4),           // length past the end
      std::string("\x12\xff\xff\xff\xff\x0f", 6),  // absurd length
      std::string("\x1d\x01\x02", 3),         // truncated fixed32
      std::string("\x0b", 1),                 // group start (wire type 3)
      std::string("\x00\x01", 2),             // field number 0
  };
  for (const auto& m : bad) {
    proto::WireReader r(m);
    EXPECT_THROW({ while (!r.done()) r.next(); }, proto::ProtoError) << "input size " << m.size();
  }
}

TEST(BundleEntryProto, RoundTripsThroughTheWriterEncoding) {
  tf::BundleEntry e;
  e.dtype = static_cast<int>(tf::DataType::BFloat16);
  e.shape = {3, 0, 7};
  e.shard_id = 2;
  e.offset = int64_t{1} << 33;
  e.size = 0;
  e.masked_crc32c = 0xdeadbeef;
  const tf::BundleEntry d = tf::parse_bundle_entry("x", tftest::encode_entry(e));
  EXPECT_EQ(d.dtype, e.dtype);
  EXPECT_EQ(d.shape, e.shape);
  EXPECT_EQ(d.shard_id, 2);
  EXPECT_EQ(d.offset, e.offset);
  EXPECT_EQ(d.masked_crc32c, 0xdeadbeefu);
  EXPECT_EQ(tf::check_entry(d, 3), "");
  EXPECT_NE(tf::check_entry(d, 2), "");  // shard 2 of 2 does not exist
}

TEST(BundleEntryProto, ChecksShapesBeforeAnythingIsAllocated) {
  tf::BundleEntry e;
  e.dtype = static_cast<int>(tf::DataType::Float);
  e.shape = {2, -3};
  EXPECT_NE(tf::check_entry(e, 1).find("negative"), std::string::npos);
  e.shape = {int64_t{1} << 31, int64_t{1} << 31, int64_t{1} << 31};
  EXPECT_NE(tf::check_entry(e, 1).find("2^40"), std::string::npos);
  e.shape = {4, 4};
  e.size = 60;
  EXPECT_NE(tf::check_entry(e, 1).find("does not match 16 float32 elements (64 bytes)"), std::string::npos);
  e.size = 64;
  EXPECT_EQ(tf::check_entry(e, 1), "");
  e.offset = -1;
  EXPECT_NE(tf::check_entry(e, 1).find("negative data offset"), std::string::npos);
}

}  // namespace ebm
