# Finds libprotobuf-c, the runtime of the ONNX importer's generated parser:
# through pkg-config (libprotobuf-c.pc) where it is there, else by searching
# the usual places. Defines the imported target ProtobufC::protobuf-c and
# ProtobufC_FOUND, ProtobufC_INCLUDE_DIR, ProtobufC_LIBRARY.
#
# Used by Tessera's own build and installed with its CMake package
# (lib/cmake/tessera), where tesseraConfig.cmake finds the dependency of a
# static libtessera.a with it. No paths are written into the package: the
# consumer's machine is searched when it calls find_package(tessera).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_ProtobufC QUIET libprotobuf-c)
endif()
find_path(ProtobufC_INCLUDE_DIR protobuf-c/protobuf-c.h HINTS ${PC_ProtobufC_INCLUDE_DIRS})
find_library(ProtobufC_LIBRARY NAMES protobuf-c HINTS ${PC_ProtobufC_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ProtobufC REQUIRED_VARS ProtobufC_LIBRARY ProtobufC_INCLUDE_DIR
                                  VERSION_VAR PC_ProtobufC_VERSION)
mark_as_advanced(ProtobufC_INCLUDE_DIR ProtobufC_LIBRARY)
if(ProtobufC_FOUND AND NOT TARGET ProtobufC::protobuf-c)
  add_library(ProtobufC::protobuf-c UNKNOWN IMPORTED)
  set_target_properties(ProtobufC::protobuf-c PROPERTIES
    IMPORTED_LOCATION "${ProtobufC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ProtobufC_INCLUDE_DIR}")
endif()
