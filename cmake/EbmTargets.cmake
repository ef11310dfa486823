# Helpers shared by every target: sanitizer flags, warnings, the Torch precompiled header.
include_guard(GLOBAL)

# Applies project-wide compile settings to one target (no global flags: DESIGN.md).
function(ebm_configure_target tgt)
  target_compile_features(${tgt} PUBLIC cxx_std_17)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wno-unused-parameter)
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
