# Warning flags for every target of the project.
function(tsr_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla>
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>)
  if(TSR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
