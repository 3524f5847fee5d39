#pragma once
// Upstream's name and label syntax checks (apimachinery validation). Each returns an empty string
// when valid, otherwise the reason, worded as kubectl words it.
#include <string>
#include <string_view>

namespace gpusim::scenario {

std::string check_dns_label(std::string_view s);      // namespaces, pool names: RFC 1123 label
std::string check_dns_subdomain(std::string_view s);  // most object names
std::string check_label_key(std::string_view s);      // [prefix/]name
std::string check_label_value(std::string_view s);

// `s` as a DNS-1123 label's characters: letters lower-cased, everything but [a-z0-9] as '-'
// (callers trim the ends and cut the length they need).
std::string dns_label_chars(std::string_view s);

}  // namespace gpusim::scenario
