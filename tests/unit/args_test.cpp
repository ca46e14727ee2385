// The subcommands' option parser.
#include "cli/Args.h"

#include <gtest/gtest.h>

#include "core/Error.h"

namespace ckrr {
namespace {

TEST(Args, OptionsPositionalsAndDoubleDash) {
  Args a({"-o", "T", "--force", "./app", "-x", "--y"}, {"--output"}, {"--force"},
         {{"-o", "--output"}}, true);
  EXPECT_EQ(a.get("--output").value(), "T");
  EXPECT_TRUE(a.has("--force"));
  EXPECT_EQ(a.positional(), (std::vector<std::string>{"./app", "-x", "--y"}));
  Args b({"--to=12", "TRACE"}, {"--to"}, {}, {});
  EXPECT_EQ(b.get_uint("--to").value(), 12u);
  Args c({"--", "--not-an-option"}, {}, {}, {});
  EXPECT_EQ(c.positional().size(), 1u);
}

TEST(Args, Errors) {
  EXPECT_THROW(Args({"--bogus"}, {}, {}, {}), Error);
  EXPECT_THROW(Args({"--to"}, {"--to"}, {}, {}), Error);
  Args a({"--to", "12x"}, {"--to"}, {}, {});
  EXPECT_THROW(a.get_uint("--to"), Error);
}

}  // namespace
}  // namespace ckrr
