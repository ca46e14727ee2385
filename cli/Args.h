#pragma once
// A small command-line parser shared by the ckrr subcommands: long options with values,
// flags, positional arguments, and "--" ending the options.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ckrr {

class Args {
 public:
  // value_options: options that take a value ("--to"); flags: options that do not.
  // Short aliases map to long names ("-o" -> "--output"). Throws Error on an unknown option or
  // a missing value. stop_at_first_positional: everything after the first positional argument is
  // positional too (for `ckrr record ./app -x`).
  Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
       const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases,
       bool stop_at_first_positional = false);

  bool has(const std::string& opt) const { return values_.count(opt) > 0; }
  std::optional<std::string> get(const std::string& opt) const;  // the last one given
  // Every value of an option given several times (--plugin A --plugin B), in order.
  std::vector<std::string> get_all(const std::string& opt) const;
  // Parses a non-negative integer option; throws Error naming the option when malformed.
  std::optional<uint64_t> get_uint(const std::string& opt) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
};

}  // namespace ckrr
