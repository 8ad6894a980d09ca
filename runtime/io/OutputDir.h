//===- OutputDir.h - Checking output directories --------------*- C++ -*-===//
//
// Before a run writes metrics, outputs or checkpoints, it makes sure the
// directory exists and takes new files, so that a typo or a read-only mount
// fails at start-up rather than after the first hour of training.
//
//===----------------------------------------------------------------------===//

#ifndef DSC_RUNTIME_IO_OUTPUTDIR_H
#define DSC_RUNTIME_IO_OUTPUTDIR_H

#include "runtime/io/Status.h"

#include <string>

namespace dsc::runtime {

/// Creates `path` and its missing parents (mode 0777 & ~umask, like mkdir
/// -p), then checks that a file can be created in it by creating and
/// removing one. Errors: "out/: cannot create directory 'out': Permission
/// denied", "out/: 'out' exists and is not a directory", "out/: not
/// writable: cannot create a file in it: Permission denied".
Status ensureWritableDir(const std::string &path);

} // namespace dsc::runtime

#endif // DSC_RUNTIME_IO_OUTPUTDIR_H
