//go:build !purego

#include "textflag.h"

// func rocPct(dst, x, prev []float64)
//
// dst[j] = 100*(x[j]/prev[j] - 1) + (r - r) with r = x[j]/prev[j]: the
// last term is +0 for a finite ratio (adding it changes nothing) and NaN
// otherwise. Two ratios per DIVPD: the division's throughput is the
// kernel's whole cost. SSE2 only, which every amd64 CPU has.
TEXT ·rocPct(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ prev_base+48(FP), DX
	MOVSD $1.0, X6
	MOVLHPS X6, X6
	MOVSD $100.0, X7
	MOVLHPS X7, X7

pair:
	CMPQ CX, $2
	JLT  single
	MOVUPD (SI), X0
	MOVUPD (DX), X1
	DIVPD  X1, X0
	MOVAPD X0, X2
	SUBPD  X0, X2
	SUBPD  X6, X0
	MULPD  X7, X0
	ADDPD  X2, X0
	MOVUPD X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DX
	ADDQ   $16, DI
	SUBQ   $2, CX
	JMP    pair

single:
	CMPQ CX, $1
	JLT  done
	MOVSD (SI), X0
	MOVSD (DX), X1
	DIVSD X1, X0
	MOVSD X0, X2
	SUBSD X0, X2
	SUBSD X6, X0
	MULSD X7, X0
	ADDSD X2, X0
	MOVSD X0, (DI)

done:
	RET
