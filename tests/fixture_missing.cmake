# The test of a fixture that was missing when the build was configured (the
# firmware example links its model into the image): prints SKIPPED, or fails
# where fixtures are required (tests/models.cmake).
# Usage: cmake -DFIXTURE=path -P fixture_missing.cmake
include("${CMAKE_CURRENT_LIST_DIR}/models.cmake")
tsr_models_missing("${FIXTURE} (at configure time; reconfigure once it is there)")
