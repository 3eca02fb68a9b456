// The umbrella header of the CKernels module: SwiftPM then writes 'umbrella header "CKernels.h"' into
// its module map instead of 'umbrella directory "include"'. A header added to an umbrella directory
// does not invalidate a build's cached clang module (a 'swift build' after a pull that adds one fails
// with "cannot find 'kp_...' in scope" until .build is removed); a line added here does.
// Every header of include/ is listed here.
#include "kp_fma_gemm.h"
#include "kp_kernels.h"
