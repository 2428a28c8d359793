# Language-model tests. Included from tests/CMakeLists.txt.
tsr_add_test(test_llm_sampler llm/test_llm_sampler.c)
tsr_add_test(test_llm_synth llm/test_llm_synth.c)
