#include "textflag.h"

// BOUNDS8 takes the eight values in Y4 and Y5 into the bounds (smallest Y0, Y1; largest
// Y2, Y3) and steps SI and the loop count CX: Y0 = Y0 > Y4 ? Y4 : Y0, and so on.
#define BOUNDS8 \
	VPCMPGTQ  Y4, Y0, Y8      \
	VPBLENDVB Y8, Y4, Y0, Y0  \
	VPCMPGTQ  Y2, Y4, Y9      \
	VPBLENDVB Y9, Y4, Y2, Y2  \
	VPCMPGTQ  Y5, Y1, Y10     \
	VPBLENDVB Y10, Y5, Y1, Y1 \
	VPCMPGTQ  Y3, Y5, Y11     \
	VPBLENDVB Y11, Y5, Y3, Y3 \
	ADDQ      $64, SI         \
	DECQ      CX

// func boundsAVX2(vals []int64, keys bool, out *[8]int64)
//
// The smallest and largest of vals, four lanes each (out[0:4] and out[4:8]), over the
// first len(vals) &^ 7 values; with keys, of each value's orderKey (bitsKey) instead.
// Two vectors of four per iteration keep two independent chains of compares. AVX2 has
// no 64-bit min or max: a compare and a blend stand for each.
TEXT ·boundsAVX2(SB), NOSPLIT, $0-40
	MOVQ    vals_base+0(FP), SI
	MOVQ    vals_len+8(FP), CX
	MOVBLZX keys+24(FP), DX
	MOVQ    out+32(FP), DI
	MOVQ    $0x7fffffffffffffff, AX
	MOVQ    AX, X0
	VPBROADCASTQ X0, Y0 // smallest so far, two vectors
	VMOVDQU Y0, Y1
	MOVQ    $0x8000000000000000, AX
	MOVQ    AX, X2
	VPBROADCASTQ X2, Y2 // largest so far, two vectors
	VMOVDQU Y2, Y3
	VPXOR   Y15, Y15, Y15
	SHRQ    $3, CX
	JZ      reduce
	TESTQ   DX, DX
	JZ      plain

keyed:
	VMOVDQU  (SI), Y4
	VMOVDQU  32(SI), Y5
	// bitsKey: flip the magnitude bits of a negative value (0 > v: all ones, shifted to 0x7fff…).
	VPCMPGTQ Y4, Y15, Y6
	VPSRLQ   $1, Y6, Y6
	VPXOR    Y6, Y4, Y4
	VPCMPGTQ Y5, Y15, Y7
	VPSRLQ   $1, Y7, Y7
	VPXOR    Y7, Y5, Y5
	BOUNDS8
	JNZ keyed
	JMP  reduce

plain:
	VMOVDQU   (SI), Y4
	VMOVDQU   32(SI), Y5
	BOUNDS8
	JNZ plain

reduce:
	VPCMPGTQ  Y1, Y0, Y8
	VPBLENDVB Y8, Y1, Y0, Y0
	VPCMPGTQ  Y2, Y3, Y9
	VPBLENDVB Y9, Y3, Y2, Y2
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y2, 32(DI)
	VZEROUPPER
	RET
