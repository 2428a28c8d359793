/* stb_image's implementation, compiled from Debian's header (libstb-dev) so
 * that tsr needs no libstb for the target: a cross build has the header
 * (architecture independent) but not the host's libstb.so. Only the formats
 * tsr reads. Third-party code: built without our warning flags. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#include <stb/stb_image.h>
