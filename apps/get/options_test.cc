// Tests of ustack-get's command line.
#include "get/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack::get {
namespace {

bool Parse(std::vector<const char*> args, GetOptions* o, std::string* error) {
  args.insert(args.begin(), "ustack-get");
  return ParseGetOptions(static_cast<int>(args.size()), args.data(), o, error);
}

TEST(GetOptionsTest, UrlAnywhereAndOptions) {
  GetOptions o;
  std::string error;
  ASSERT_TRUE(Parse({"http://198.18.0.1/x", "--conf", "c.ini", "--post=up.bin"}, &o, &error))
      << error;
  EXPECT_EQ(o.url, "http://198.18.0.1/x");
  EXPECT_EQ(o.conf, "c.ini");
  EXPECT_EQ(o.post_file, "up.bin");
  EXPECT_EQ(o.timeout_s, 120u);
  GetOptions p;
  ASSERT_TRUE(Parse({"--conf", "c.ini", "--timeout", "30", "http://198.18.0.1/"}, &p, &error));
  EXPECT_EQ(p.timeout_s, 30u);
  EXPECT_TRUE(p.post_file.empty());
}

TEST(GetOptionsTest, Errors) {
  std::string error;
  GetOptions a;
  EXPECT_FALSE(Parse({"--conf", "c.ini"}, &a, &error));
  EXPECT_EQ(error, "missing URL (http://ADDR[:PORT]/PATH)");
  GetOptions b;
  EXPECT_FALSE(Parse({"http://198.18.0.1/"}, &b, &error));
  EXPECT_EQ(error, "missing --conf FILE");
  GetOptions c;
  EXPECT_FALSE(Parse({"--conf", "c.ini", "http://a/", "http://b/"}, &c, &error));
  EXPECT_EQ(error, "more than one URL ('http://a/' and 'http://b/')");
  GetOptions d;
  EXPECT_FALSE(Parse({"--conf", "c.ini", "--timeout", "0", "http://a/"}, &d, &error));
  EXPECT_EQ(error, "--timeout must be a number in [1, 86400], got '0'");
  GetOptions e;
  EXPECT_FALSE(Parse({"--conf", "c.ini", "--get", "x", "http://a/"}, &e, &error));
  EXPECT_EQ(error, "unknown option '--get'");
  GetOptions h;
  EXPECT_TRUE(Parse({"--help"}, &h, &error));
  EXPECT_TRUE(h.help);
  EXPECT_NE(GetUsage().find("--conf FILE [--post VALUE] [--timeout VALUE] URL"), std::string::npos)
      << GetUsage();
}

}  // namespace
}  // namespace ustack::get
