# Helpers shared by every target: sanitizer flags, warnings, the Torch precompiled header.
include_guard(GLOBAL)

# Applies project-wide compile settings to one target (no global flags: DESIGN.md).
function(ebm_configure_target tgt)
  target_compile_features(${tgt} PUBLIC cxx_std_17)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  # PyTorch's pip-wheel LibTorch (the GPU machine's 2.11) exports copies of libstdc++'s
  # std::filesystem functions built for an older ABI; when libtorch_cpu.so comes before libstdc++
  # in the search order, ours bind to them and crash. Naming libstdc++ first keeps the system's.
  get_target_property(_type ${tgt} TYPE)
  if(_type STREQUAL "EXECUTABLE" AND EBM_LINK_STDCXX_FIRST)
    target_link_libraries(${tgt} PRIVATE "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state")
  endif()
  if(EBM_SANITIZE)
    target_compile_options(${tgt} PRIVATE -fsanitize=${EBM_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${tgt} PRIVATE -fsanitize=${EBM_SANITIZE})
  endif()
endfunction()

# Reuses the Torch PCH built for ebm_models: Torch's headers dominate compile time on 2 cores.
function(ebm_use_torch_pch tgt)
  if(EBM_PCH)
    target_precompile_headers(${tgt} REUSE_FROM ebm_models)
  endif()
endfunction()
