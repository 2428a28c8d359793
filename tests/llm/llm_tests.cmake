# Language-model tests. Included from tests/CMakeLists.txt.
tsr_add_test(test_llm_sampler llm/test_llm_sampler.c)
