// Tests for the [impair] section of config.ini: defaults, every key, the conversion to the
// ImpairedPort's Impairment (delay +- jitter), and errors with their FILE:LINE prefix.
#include <gtest/gtest.h>

#include <string>

#include "runtime/config.h"

namespace ustack {
namespace {

constexpr const char* kMinimal = "[port0]\naddr=198.18.0.2\n";

UstackConfig MustParse(const std::string& text) {
  ConfigResult r = ParseConfig(text, "t.ini");
  EXPECT_TRUE(r.ok()) << r.error;
  return r.ok() ? *r.config : UstackConfig{};
}

std::string ErrorOf(const std::string& text) {
  ConfigResult r = ParseConfig(std::string(kMinimal) + text, "conf/bad.ini");
  EXPECT_FALSE(r.ok());
  return r.error;
}

TEST(ImpairConfigTest, OffByDefault) {
  const UstackConfig c = MustParse(kMinimal);
  EXPECT_FALSE(c.impair.enable);
  EXPECT_FALSE(c.impair.impairs_rx());
  EXPECT_FALSE(c.impair.impairs_tx());
  EXPECT_TRUE(c.impair.ToImpairment().IsClean());
}

TEST(ImpairConfigTest, EveryKeyAndTheImpairmentItMakes) {
  const UstackConfig c = MustParse(std::string(kMinimal) +
                                   "[impair]\n"
                                   "enable=1\n"
                                   "direction=tx      ; only what the stack sends\n"
                                   "seed=77\n"
                                   "delay_us=5000\n"
                                   "jitter_us=2000\n"
                                   "loss=1%\n"
                                   "duplicate=0.02\n"
                                   "reorder=10%\n"
                                   "reorder_delay_us=3000\n"
                                   "corrupt=0.005\n"
                                   "rate_kbps=10000\n"
                                   "queue_limit=300\n");
  EXPECT_TRUE(c.impair.enable);
  EXPECT_EQ(c.impair.direction, ImpairSection::Direction::kTx);
  EXPECT_FALSE(c.impair.impairs_rx());
  EXPECT_TRUE(c.impair.impairs_tx());
  EXPECT_EQ(c.impair.seed, 77u);
  const Impairment imp = c.impair.ToImpairment();
  // 5 ms +- 2 ms: 3 ms plus a uniform 0..4 ms.
  EXPECT_EQ(imp.delay, Duration::Millis(3));
  EXPECT_EQ(imp.jitter, Duration::Millis(4));
  EXPECT_DOUBLE_EQ(imp.loss, 0.01);
  EXPECT_DOUBLE_EQ(imp.duplicate, 0.02);
  EXPECT_DOUBLE_EQ(imp.reorder, 0.1);
  EXPECT_EQ(imp.reorder_delay, Duration::Millis(3));
  EXPECT_DOUBLE_EQ(imp.corrupt, 0.005);
  EXPECT_EQ(imp.rate_bps, 10000000u);
  EXPECT_EQ(imp.queue_limit, 300u);
}

TEST(ImpairConfigTest, DirectionsAndDisabledSection) {
  EXPECT_TRUE(MustParse(std::string(kMinimal) + "[impair]\nenable=1\n").impair.impairs_rx());
  EXPECT_TRUE(MustParse(std::string(kMinimal) + "[impair]\nenable=1\n").impair.impairs_tx());
  const UstackConfig rx = MustParse(std::string(kMinimal) + "[impair]\nenable=1\ndirection=rx\n");
  EXPECT_TRUE(rx.impair.impairs_rx());
  EXPECT_FALSE(rx.impair.impairs_tx());
  // Values without enable=1 are kept but impair nothing.
  const UstackConfig off = MustParse(std::string(kMinimal) + "[impair]\nloss=0.5\n");
  EXPECT_FALSE(off.impair.impairs_rx());
  EXPECT_FALSE(off.impair.impairs_tx());
}

TEST(ImpairConfigTest, BadValuesNameFileAndLine) {
  EXPECT_EQ(ErrorOf("[impair]\nloss=lots\n"),
            "conf/bad.ini:4: [impair] loss: 'lots' is not a probability (e.g. 0.005 or 0.5%)");
  EXPECT_EQ(ErrorOf("[impair]\ncorrupt=1.5\n"),
            "conf/bad.ini:4: [impair] corrupt: probability 1.5 is above 1 (100%)");
  EXPECT_EQ(ErrorOf("[impair]\nreorder=120%\n"),
            "conf/bad.ini:4: [impair] reorder: probability 120% is above 1 (100%)");
  EXPECT_EQ(ErrorOf("[impair]\nduplicate=-0.1\n"),
            "conf/bad.ini:4: [impair] duplicate: '-0.1' is not a probability (e.g. 0.005 or 0.5%)");
  EXPECT_EQ(ErrorOf("[impair]\nloss=nan\n"),
            "conf/bad.ini:4: [impair] loss: 'nan' is not a probability (e.g. 0.005 or 0.5%)");
  EXPECT_EQ(ErrorOf("[impair]\nloss=%\n"),
            "conf/bad.ini:4: [impair] loss: '%' is not a probability (e.g. 0.005 or 0.5%)");
  EXPECT_EQ(ErrorOf("[impair]\ndirection=up\n"),
            "conf/bad.ini:4: [impair] direction: 'up' is not both, rx or tx");
  EXPECT_EQ(ErrorOf("[impair]\ndelay_us=5ms\n"),
            "conf/bad.ini:4: [impair] delay_us: '5ms' is not a decimal number");
  EXPECT_EQ(ErrorOf("[impair]\nqueue_limit=0\n"),
            "conf/bad.ini:4: [impair] queue_limit: value 0 is out of range [1, 100000]");
  EXPECT_EQ(ErrorOf("[impair]\ndelay=5\n"),
            "conf/bad.ini:4: unknown key 'delay' in section [impair]");
  EXPECT_EQ(ErrorOf("[impair]\nenable=yes\n"),
            "conf/bad.ini:4: [impair] enable: 'yes' is not 0 or 1");
}

TEST(ImpairConfigTest, JitterBeyondTheDelayNamesTheLaterKey) {
  EXPECT_EQ(ErrorOf("[impair]\njitter_us=2000\n"),
            "conf/bad.ini:4: [impair] jitter_us 2000 exceeds delay_us 0 (the delay varies "
            "within delay_us +- jitter_us)");
  EXPECT_EQ(ErrorOf("[impair]\njitter_us=2000\n\ndelay_us=1000\n"),
            "conf/bad.ini:6: [impair] jitter_us 2000 exceeds delay_us 1000 (the delay varies "
            "within delay_us +- jitter_us)");
  EXPECT_EQ(MustParse(std::string(kMinimal) + "[impair]\ndelay_us=2000\njitter_us=2000\n")
                .impair.ToImpairment()
                .delay,
            Duration());
}

}  // namespace
}  // namespace ustack
