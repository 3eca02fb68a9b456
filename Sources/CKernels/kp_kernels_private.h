// Shared between the C files of CKernels; not part of the module's public headers.
#ifndef KP_KERNELS_PRIVATE_H
#define KP_KERNELS_PRIVATE_H

/// The variant (KP_ISA_GENERIC, KP_ISA_AVX2 or KP_ISA_AVX512) the calling thread's kernels run:
/// the CPU's best unless kp_kernels_force_isa forced another.
int kp_kernels_isa_id(void);

#endif
