//===- Hostfile.cpp - DeepSpeed hostfile parsing --------------------------===//

#include "compiler/topology/Hostfile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace dsc::topology {
namespace {

// Far above any real node; keeps rank arithmetic in int.
constexpr unsigned kMaxSlots = 1u << 16;

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

} // namespace

Expected<Hostfile> parseHostfile(StringRef text, StringRef path) {
  Hostfile hostfile;
  hostfile.path = path.str();
  StringMap<unsigned> firstLine;
  unsigned totalSlots = 0;
  SmallVector<StringRef, 0> lines;
  text.split(lines, '\n');
  for (auto [index, rawLine] : llvm::enumerate(lines)) {
    unsigned lineNo = index + 1;
    StringRef line = rawLine.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    auto lineError = [&](const Twine &message) {
      return makeError("hostfile " + path + ": line " + Twine(lineNo) + ": " +
                       message);
    };
    // DeepSpeed's pattern: ^(\S+)\s+slots=(\d+)
    size_t space = line.find_first_of(" \t");
    StringRef host = line.substr(0, space);
    StringRef rest = line.substr(space).ltrim();
    if (!rest.consume_front("slots="))
      return lineError("bad entry '" + line + "'; expected '<host> slots=<n>'");
    // The name goes into launch.json, whose strings must be UTF-8, and onto
    // ssh command lines; host names and addresses are printable ASCII.
    if (!all_of(host, [](char c) { return isPrint(c); })) {
      std::string escaped;
      raw_string_ostream os(escaped);
      printEscapedString(host, os);
      return lineError("host name '" + os.str() + "' is not printable ASCII");
    }
    StringRef count = rest.take_until([](char c) { return isSpace(c); });
    unsigned slots = 0;
    if (count.getAsInteger(10, slots) || slots == 0 || slots > kMaxSlots ||
        !isDigit(count.front()))
      return lineError("slots for '" + host +
                       "' must be a positive integer, got '" + count + "'");
    // At most 2^20 + 2^16 here: no overflow.
    totalSlots += slots;
    if (totalSlots > kMaxTotalSlots)
      return lineError("more than " + Twine(kMaxTotalSlots) + " slots in all");
    auto [it, inserted] = firstLine.try_emplace(host, lineNo);
    if (!inserted)
      return lineError("host '" + host + "' is listed twice (first on line " +
                       Twine(it->second) + ")");
    hostfile.hosts.push_back({host.str(), static_cast<int>(slots), lineNo});
  }
  if (hostfile.hosts.empty())
    return makeError("hostfile " + path +
                     ": no hosts (the file is empty or only has comments)");
  return hostfile;
}

Expected<Hostfile> parseHostfileFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("hostfile " + path +
                     ": cannot read file: " + buffer.getError().message());
  return parseHostfile((*buffer)->getBuffer(), path);
}

} // namespace dsc::topology
