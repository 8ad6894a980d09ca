//===- main.cpp - The rank executable's entry point -----------------------===//
//
// Compiled into OUT/bin/rank_<r> together with the generated object (which
// defines dsc_step) and linked against DscRankMain.
//
//===----------------------------------------------------------------------===//

#include "runtime/main/RankMain.h"

int main(int argc, char **argv) { return dsc::runtime::rankMain(argc, argv); }
