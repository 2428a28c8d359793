/* Word layout of the per-op parameter blocks the Vulkan target writes at
 * prepare time and the compute shaders read (included from C and GLSL, so
 * only #defines). Every op's block lives in the command list's control
 * buffer at word offset pc.po; the first TSR_VK_CTL_HEADER words of that
 * buffer hold the dynamic values (int32, rewritten before each submit).
 *
 * Conventions: "base" is the byte offset of a tensor inside its binding;
 * strides are in bytes; floats are stored as their bit patterns; a dynamic
 * value is two words (slot, offset): value = offset + (slot >= 0 ? dyn[slot] : 0).
 * Bindings: 0 the control buffer, 1 the destination, 2 + i source i. */
#ifndef TESSERA_KERNELS_VULKAN_PARAMS_H_
#define TESSERA_KERNELS_VULKAN_PARAMS_H_

#define TSR_VK_CTL_HEADER 16 /* words before the first op block */
#define TSR_VK_MAX_BINDINGS 7 /* control + destination + up to 5 sources */
#define TSR_VK_ND 6           /* dimensions of the generic elementwise descriptor */
#define TSR_VK_RD 5           /* leading ("row") dimensions of a row descriptor */

/* dtype ids: the values of tsr_dtype. */
#define TSR_VK_F32 1
#define TSR_VK_F16 2
#define TSR_VK_BF16 3
#define TSR_VK_I8 4
#define TSR_VK_U8 5
#define TSR_VK_I32 6
#define TSR_VK_I64 7
#define TSR_VK_Q8_0 8
#define TSR_VK_Q4_0 9
#define TSR_VK_Q4_K 10
#define TSR_VK_Q5_K 11
#define TSR_VK_Q6_K 12

/* ---- elementwise: UNARY, BINARY, CONVERT between plain types ----
 * One invocation per element of y (shape[TSR_VK_ND], outermost first, padded
 * with 1). Tensor j (0: y, 1: first source, 2: second source) has a base and
 * TSR_VK_ND strides (0 where broadcast). */
#define EW_N 0       /* elements */
#define EW_KIND 1    /* unary / binary kind; CONVERT: source dtype */
#define EW_ALPHA 2   /* float; CONVERT: destination dtype */
#define EW_BETA 3    /* float */
#define EW_SHAPE 4   /* [TSR_VK_ND] */
#define EW_T(j) (10 + (j) * 7) /* base, then strides[TSR_VK_ND] */
#define EW_NDIM 31   /* dimensions left after merging (the innermost EW_NDIM of EW_SHAPE) */
#define EW_WORDS 32

/* ---- row descriptor, shared by the row-wise ops ----
 * The rows of a tensor are all its dimensions but the last, flattened: row r
 * has coordinates in RD_SHAPE (outermost first, padded with 1) and the byte
 * offset sum(coord_d * stride_d) for each tensor. */
#define RD_SHAPE(o) ((o) + 0)                /* [TSR_VK_RD] */
#define RD_STRIDE(o, j) ((o) + 5 + (j) * 5)  /* tensor j: [TSR_VK_RD] */

/* ---- RMSNORM, LAYERNORM: one workgroup per row ---- */
#define NM_ROWS 0
#define NM_N 1
#define NM_EPS 2
#define NM_HAS_W 3
#define NM_HAS_B 4
#define NM_LAYER 5
#define NM_Y_BASE 6
#define NM_Y_SK 7
#define NM_X_BASE 8
#define NM_X_SK 9
#define NM_W_BASE 10
#define NM_B_BASE 11
#define NM_RD 12 /* row descriptor: tensors 0 y, 1 x */
#define NM_WORDS 27

/* ---- SOFTMAX: one workgroup per row ---- */
#define SM_ROWS 0
#define SM_S 1
#define SM_R 2       /* extent of the second-to-last dimension (causal rows) */
#define SM_SCALE 3
#define SM_CAUSAL 4
#define SM_QPOS 5    /* dynamic: 2 words */
#define SM_Y_BASE 7
#define SM_Y_SK 8
#define SM_X_BASE 9
#define SM_X_SK 10
#define SM_RD 11     /* row descriptor: tensors 0 y, 1 x */
#define SM_WORDS 26

/* ---- ROPE: one invocation per (t, h, pair) and per passed-through element ---- */
#define RP_T 0
#define RP_H 1
#define RP_D 2
#define RP_NDIMS 3
#define RP_MODE 4
#define RP_POS 5     /* dynamic: 2 words */
#define RP_HAS_FF 7
#define RP_Y_BASE 8
#define RP_Y_S0 9
#define RP_Y_S1 10
#define RP_X_BASE 11
#define RP_X_S0 12
#define RP_X_S1 13
#define RP_FF_BASE 14
#define RP_FREQ 16   /* n_dims/2 pairs (hi, lo): freq_scale * base^(-2i/n_dims) as a float pair */
#define RP_WORDS(n_dims) (RP_FREQ + (n_dims))

/* ---- ATTENTION: one workgroup per (t, h) ---- */
#define AT_TQ 0
#define AT_HQ 1
#define AT_D 2
#define AT_DV 3
#define AT_S 4
#define AT_GROUP 5
#define AT_SCALE 6
#define AT_CAUSAL 7
#define AT_WINDOW 8
#define AT_QPOS 9    /* dynamic: 2 words */
#define AT_KVLEN 11  /* dynamic: 2 words */
#define AT_Y_BASE 13
#define AT_Y_S0 14
#define AT_Y_S1 15
#define AT_Q_BASE 16
#define AT_Q_S0 17
#define AT_Q_S1 18
#define AT_K_BASE 19
#define AT_K_S0 20
#define AT_K_S1 21
#define AT_V_BASE 22
#define AT_V_S0 23
#define AT_V_S1 24
#define AT_WORDS 25
#define AT_MAX_D 512 /* head sizes up to this (shared memory) */

/* ---- MATMUL: one workgroup per (NR rows of b) x (MT rows of a) x batch ---- */
#define MM_M 0
#define MM_N 1
#define MM_K 2
#define MM_ALPHA 3
#define MM_HAS_BIAS 4
#define MM_SCALED 5
#define MM_Y_BASE 6
#define MM_Y_SM 7
#define MM_A_BASE 8
#define MM_A_SM 9
#define MM_A_SK 10
#define MM_B_BASE 11
#define MM_B_SN 12
#define MM_B_SK 13
#define MM_BIAS_BASE 14
#define MM_AS_BASE 15
#define MM_BS_BASE 16
#define MM_BSHAPE 17       /* batch dims of y [4], outermost first, padded with 1 */
#define MM_BSTRIDE(j) (21 + (j) * 4) /* tensor j (0 y, 1 a, 2 b): [4], 0 where broadcast */
#define MM_WORDS 33

/* ---- GET_ROWS: one invocation per (t, 32-element unit or element) ---- */
#define GR_T 0
#define GR_D 1
#define GR_V 2
#define GR_DTYPE 3
#define GR_IDS64 4
#define GR_Y_BASE 5
#define GR_Y_S0 6
#define GR_Y_SK 7
#define GR_TAB_BASE 8
#define GR_TAB_S0 9
#define GR_TAB_SK 10
#define GR_IDS_BASE 11
#define GR_IDS_S0 12
#define GR_WORDS 13

/* ---- SET_ROWS: one invocation per (source row, destination block or element) ----
 * Source row r is (t = r / SR_SUB, j = r % SR_SUB); it goes to destination
 * index pos + t of dimension 0, sub-row j. */
#define SR_ROWS 0    /* source rows (all leading dims) */
#define SR_SUB 1     /* rows per index of dimension 0 */
#define SR_N 2       /* row length */
#define SR_S 3       /* destination extent of dimension 0 */
#define SR_DTYPE 4   /* destination dtype */
#define SR_POS 5     /* dynamic: 2 words */
#define SR_D_BASE 7
#define SR_D_SK 8
#define SR_S_BASE 9
#define SR_S_SK 10
#define SR_RD 11     /* row descriptor over dimensions 1 .. ndim-2: tensors 0 destination, 1 source */
#define SR_D_S0 26   /* stride of dimension 0 */
#define SR_S_S0 27
#define SR_WORDS 28

/* ---- CONVERT with a block format on either side: one invocation per block ---- */
#define CB_ROWS 0
#define CB_N 1
#define CB_XT 2      /* source dtype */
#define CB_YT 3      /* destination dtype */
#define CB_BS 4      /* elements per invocation: 32 or 256 */
#define CB_Y_BASE 5
#define CB_Y_SK 6
#define CB_X_BASE 7
#define CB_X_SK 8
#define CB_RD 9      /* row descriptor: tensors 0 y, 1 x */
#define CB_WORDS 24

#endif /* TESSERA_KERNELS_VULKAN_PARAMS_H_ */
