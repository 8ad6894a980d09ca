//===- Command.cpp - A process to start and its shell spelling ------------===//

#include "tools/ds-run/Command.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/StringSaver.h"

using namespace llvm;

namespace dsc::run {

std::string shellQuote(StringRef s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shellWord(StringRef s) {
  auto isPlain = [](char c) {
    return isAlnum(c) || StringRef("_@%+=:,./-").contains(c);
  };
  if (!s.empty() && all_of(s, isPlain))
    return s.str();
  return shellQuote(s);
}

std::string shellWords(ArrayRef<std::string> words) {
  std::string line;
  for (const std::string &word : words)
    line += (line.empty() ? "" : " ") + shellWord(word);
  return line;
}

std::string Command::toShell() const {
  std::string line = env.empty() ? "" : "env";
  for (const auto &[name, value] : env)
    line += " " + name + "=" + shellQuote(value);
  for (const std::string &word : argv)
    line += (line.empty() ? "" : " ") + shellQuote(word);
  return line;
}

std::vector<std::string> splitShellWords(StringRef text) {
  BumpPtrAllocator allocator;
  StringSaver saver(allocator);
  SmallVector<const char *, 16> words;
  cl::TokenizeGNUCommandLine(text, saver, words);
  return std::vector<std::string>(words.begin(), words.end());
}

} // namespace dsc::run
