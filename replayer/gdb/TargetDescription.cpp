#include "replayer/gdb/TargetDescription.h"

#include <cstring>

#include "replayer/gdb/X86Registers.h"

namespace ckrr::gdb {

namespace {

// Types the register entries refer to. i387_ext, int64, code_ptr... are gdb built-ins.
constexpr const char* kCoreTypes = R"(    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
)";

constexpr const char* kSseTypes = R"(    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
)";

}  // namespace

std::string x86_64_target_xml(bool avx) {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>i386:x86-64</architecture>\n"
      "  <osabi>GNU/Linux</osabi>\n";
  int count = avx ? kRegCountAvx : kRegCountNoAvx;
  const char* open = nullptr;
  for (int i = 0; i < count; i++) {
    const X86RegInfo& r = x86_reg_info(i);
    if (!open || std::strcmp(open, r.feature) != 0) {
      if (open) xml += "  </feature>\n";
      open = r.feature;
      xml += std::string("  <feature name=\"") + r.feature + "\">\n";
      if (i == kRax) xml += kCoreTypes;
      if (i == kXmm0) xml += kSseTypes;
    }
    xml += std::string("    <reg name=\"") + r.name + "\" bitsize=\"" + std::to_string(r.size * 8) +
           "\" type=\"" + r.type + "\" regnum=\"" + std::to_string(i) + "\"";
    if (r.group) xml += std::string(" group=\"") + r.group + "\"";
    xml += "/>\n";
  }
  xml += "  </feature>\n</target>\n";
  return xml;
}

}  // namespace ckrr::gdb
