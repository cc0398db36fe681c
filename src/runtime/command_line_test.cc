// Tests for the apps' shared command line.
#include "runtime/command_line.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace ustack {
namespace {

constexpr std::array<OptionSpec, 2> kOptions = {
    OptionSpec{"port", "80", "TCP port"},
    OptionSpec{"body-size", "600", "bytes for GET /"},
};

bool Parse(std::vector<const char*> argv, CommandLine* cl, std::string* err) {
  return cl->Parse(static_cast<int>(argv.size()), argv.data(), kOptions, err);
}

TEST(CommandLineTest, ConfAndDefaults) {
  CommandLine cl;
  std::string err;
  ASSERT_TRUE(Parse({"httpd", "--conf", "a.ini"}, &cl, &err)) << err;
  EXPECT_EQ(cl.program(), "httpd");
  EXPECT_EQ(cl.conf(), "a.ini");
  EXPECT_FALSE(cl.help());
  EXPECT_EQ(cl.Get("port"), "80");
  uint64_t v = 0;
  ASSERT_TRUE(cl.GetUint("body-size", 0, 1000, &v, &err));
  EXPECT_EQ(v, 600u);
}

TEST(CommandLineTest, ValuesWithSpaceOrEquals) {
  CommandLine cl;
  std::string err;
  ASSERT_TRUE(Parse({"httpd", "--port=8080", "--conf=b.ini", "--body-size", "7"}, &cl, &err));
  EXPECT_EQ(cl.conf(), "b.ini");
  uint64_t v = 0;
  ASSERT_TRUE(cl.GetUint("port", 1, 65535, &v, &err));
  EXPECT_EQ(v, 8080u);
  ASSERT_TRUE(cl.GetUint("body-size", 0, 1000, &v, &err));
  EXPECT_EQ(v, 7u);
}

TEST(CommandLineTest, Errors) {
  CommandLine cl;
  std::string err;
  EXPECT_FALSE(Parse({"httpd"}, &cl, &err));
  EXPECT_EQ(err, "missing --conf FILE");
  EXPECT_FALSE(Parse({"httpd", "--conf", "a", "--bogus", "1"}, &cl, &err));
  EXPECT_EQ(err, "unknown option '--bogus'");
  EXPECT_FALSE(Parse({"httpd", "--conf"}, &cl, &err));
  EXPECT_EQ(err, "option '--conf' needs a value");
  EXPECT_FALSE(Parse({"httpd", "stray"}, &cl, &err));
  EXPECT_EQ(err, "unexpected argument 'stray'");
}

TEST(CommandLineTest, BadNumbersAndRange) {
  CommandLine cl;
  std::string err;
  ASSERT_TRUE(Parse({"httpd", "--conf", "a", "--port", "70000"}, &cl, &err));
  uint64_t v = 0;
  EXPECT_FALSE(cl.GetUint("port", 1, 65535, &v, &err));
  EXPECT_EQ(err, "--port must be a number in [1, 65535], got '70000'");
  ASSERT_TRUE(Parse({"httpd", "--conf", "a", "--port", "8o"}, &cl, &err));
  EXPECT_FALSE(cl.GetUint("port", 1, 65535, &v, &err));
}

TEST(CommandLineTest, HelpNeedsNothingElse) {
  CommandLine cl;
  std::string err;
  ASSERT_TRUE(Parse({"httpd", "--help"}, &cl, &err));
  EXPECT_TRUE(cl.help());
  std::string u = CommandLine::Usage("httpd", kOptions);
  EXPECT_NE(u.find("--conf FILE"), std::string::npos);
  EXPECT_NE(u.find("--body-size"), std::string::npos);
}

}  // namespace
}  // namespace ustack
