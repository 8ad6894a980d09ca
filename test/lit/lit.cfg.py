# lit configuration of ds-compile: FileCheck tests of the dialects, the
# passes, the importer and the command-line tools.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "ds-compile"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
# .json are ds_config tests (comments allowed), .hostfile hostfile tests.
config.suffixes = [".mlir", ".test", ".json", ".hostfile"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.dsc_obj_root
config.substitutions.append(("%dsc_src_root", config.dsc_src_root))
config.substitutions.append(("%shared", os.path.join(config.dsc_src_root, "..", "shared")))
config.substitutions.append(("%fake_gpu", config.dsc_fake_gpu))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.dsc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["ds-compile", "ds-opt", "ds-ckpt", "ds-run", "ds-plan", "FileCheck", "not", "count"], tool_dirs)
