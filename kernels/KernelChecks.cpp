//===- KernelChecks.cpp - The kernels' own checks of a call site ----------===//

#include "kernels/KernelChecks.h"

#include "kernels/cpu/FusedProgram.h"

#include <algorithm>

namespace dsc::kernels::checks {
namespace {

std::string attrProblem(const char *name, const std::string &what) {
  return std::string("attribute '") + name + "' " + what;
}

/// `axis` normalised into [0, rank) in place.
std::string normaliseAxis(KernelSite &site, int rank) {
  AttrValue &axis = site.attr("axis");
  int64_t normalised = axis.i < 0 ? axis.i + rank : axis.i;
  if (normalised < 0 || normalised >= std::max(rank, 1))
    return attrProblem("axis", "= " + std::to_string(axis.i) +
                                   " out of range for rank " +
                                   std::to_string(rank));
  axis.i = normalised;
  return "";
}

/// Attribute `name` has `size` entries.
std::string checkLength(KernelSite &site, const char *name, int64_t size) {
  const std::vector<int64_t> &values = site.attr(name).ints;
  if (static_cast<int64_t>(values.size()) != size)
    return attrProblem(name, "has " + std::to_string(values.size()) +
                                 " entries, expected " + std::to_string(size));
  return "";
}

std::string checkSlice(KernelSite &site, int rank) {
  for (const char *name : {"starts", "ends", "steps"})
    if (std::string problem = checkLength(site, name, rank); !problem.empty())
      return problem;
  for (int64_t step : site.attr("steps").ints)
    if (step == 0)
      return attrProblem("steps", "has a zero step");
  return "";
}

std::string checkPads(KernelSite &site, int rank) {
  return checkLength(site, "pads", 2 * int64_t(rank));
}

} // namespace

std::string checkNothing(KernelSite &) { return ""; }

std::string checkCopy(KernelSite &site) {
  int64_t in = site.numel(0) * dtypeSize(site.dtypes[0]);
  int64_t out = site.numel(1) * dtypeSize(site.dtypes[1]);
  if (dtypeSize(site.dtypes[0]) == 0 || in != out)
    return "copies " + std::to_string(in) + " bytes into " +
           std::to_string(out);
  site.attr("bytes").i = in;
  return "";
}

std::string checkReduceAxes(KernelSite &site) {
  const std::vector<int64_t> &axes = site.attr("axes").ints;
  int rank = site.rank(0);
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= rank || (i > 0 && axes[i] <= axes[i - 1]))
      return attrProblem("axes", "is not sorted, unique and in [0, " +
                                     std::to_string(rank) + ")");
  return "";
}

std::string checkInputAxis(KernelSite &site) {
  return normaliseAxis(site, site.rank(0));
}

std::string checkResultAxis(KernelSite &site) {
  return normaliseAxis(site, site.rank(site.numInputs));
}

std::string checkConv(KernelSite &site) {
  for (auto [name, size] : {std::pair<const char *, int64_t>{"strides", 2},
                            {"pads", 4},
                            {"dilations", 2}})
    if (std::string problem = checkLength(site, name, size); !problem.empty())
      return problem;
  if (site.attr("group").i < 1)
    return attrProblem("group", "is " + std::to_string(site.attr("group").i));
  for (int i = 0; i < site.numInputs + site.numOutputs; ++i)
    if (site.rank(i) != 4 && !(i == 2 && site.numInputs == 3))
      return "buffer " + std::to_string(i) + " is not 4-D";
  return "";
}

std::string checkDropout(KernelSite &site) {
  double ratio = site.attr("ratio").f;
  if (!(ratio >= 0 && ratio <= 1))
    return attrProblem("ratio",
                       "= " + std::to_string(ratio) + " outside [0, 1]");
  return "";
}

std::string checkPerm(KernelSite &site) {
  int rank = site.rank(0);
  if (std::string problem = checkLength(site, "perm", rank); !problem.empty())
    return problem;
  std::vector<bool> seen(rank, false);
  for (int64_t a : site.attr("perm").ints) {
    if (a < 0 || a >= rank || seen[a])
      return attrProblem("perm", "is not a permutation of [0, " +
                                     std::to_string(rank) + ")");
    seen[a] = true;
  }
  return "";
}

std::string checkInputSlice(KernelSite &site) {
  return checkSlice(site, site.rank(0));
}

std::string checkResultSlice(KernelSite &site) {
  return checkSlice(site, site.rank(site.numInputs));
}

std::string checkConcat(KernelSite &site) {
  int rank = site.rank(0);
  for (int i = 1; i < site.numInputs; ++i)
    if (site.rank(i) != rank)
      return "input " + std::to_string(i) + " has rank " +
             std::to_string(site.rank(i)) + ", expected " +
             std::to_string(rank);
  return normaliseAxis(site, rank);
}

std::string checkInputPads(KernelSite &site) {
  return checkPads(site, site.rank(0));
}

std::string checkResultPads(KernelSite &site) {
  return checkPads(site, site.rank(site.numInputs));
}

std::string checkTrilu(KernelSite &site) {
  if (site.rank(0) < 2)
    return "input has rank " + std::to_string(site.rank(0)) +
           ", expected 2 or more";
  if (site.numInputs == 2 && site.numel(1) != 1)
    return "k is not a scalar";
  return "";
}

std::string checkFusedProgram(KernelSite &site) {
  const std::vector<int64_t> &program = site.attr("program").ints;
  if (std::string problem = cpu::fusedProgramProblem(
          program.data(), static_cast<int64_t>(program.size()), site.numInputs);
      !problem.empty())
    return problem;
  // Every input broadcasts to the result (right-aligned, NumPy).
  const std::vector<int64_t> &out = site.shapes[site.numInputs];
  if (out.size() > static_cast<size_t>(cpu::kFusedMaxRank))
    return "has a result of rank " + std::to_string(out.size()) +
           ", more than " + std::to_string(cpu::kFusedMaxRank);
  for (int i = 0; i < site.numInputs; ++i) {
    const std::vector<int64_t> &in = site.shapes[i];
    bool fits = in.size() <= out.size();
    for (size_t d = 0; fits && d < in.size(); ++d) {
      int64_t dim = in[in.size() - 1 - d];
      fits = dim == 1 || dim == out[out.size() - 1 - d];
    }
    if (!fits)
      return "input " + std::to_string(i) +
             " does not broadcast to the result's shape";
  }
  return "";
}

} // namespace dsc::kernels::checks
