// The system OpenBLAS (Debian: libopenblas-dev), for the packed fp32 GEMM kernel.
#include <cblas.h>
