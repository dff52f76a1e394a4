// The system zlib (Debian: zlib1g-dev), for gzip decompression.
#include <zlib.h>
