//===- RankOptions.h - The rank executable's options ------------*- C++ -*-===//
//
// The names the rank's command line takes (runtime/main/RankMain.cpp parses
// them); ds-run knows them too, to tell a user who gives them to ds-run
// instead of after '--'.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_RANKOPTIONS_H
#define DSC_RUNTIME_IO_RANKOPTIONS_H

namespace dsc::runtime {

inline constexpr const char *kRankOptionNames[] = {
    "--plan",       "--data",     "--metrics",   "--save",
    "--out",        "--save-dir", "--resume",    "--steps",
    "--save-every", "--weights",  "--init-seed", "--help"};

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_RANKOPTIONS_H
