#include "textflag.h"

// func sumDiffsAVX2(xs []float64) float64
//
// The sum of x − x over the first len(xs) &^ 7 values (0, or NaN when one is NaN or
// ±Inf: allFinite), eight values a loop into two vectors of sums.
TEXT ·sumDiffsAVX2(SB), NOSPLIT, $0-32
	MOVQ    xs_base+0(FP), SI
	MOVQ    xs_len+8(FP), CX
	VXORPD  Y0, Y0, Y0
	VXORPD  Y1, Y1, Y1
	SHRQ    $3, CX
	JZ      done

loop:
	VMOVUPD (SI), Y2
	VMOVUPD 32(SI), Y3
	VSUBPD  Y2, Y2, Y2
	VSUBPD  Y3, Y3, Y3
	VADDPD  Y2, Y0, Y0
	VADDPD  Y3, Y1, Y1
	ADDQ    $64, SI
	DECQ    CX
	JNZ     loop

done:
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+24(FP)
	RET
