#include "textflag.h"

// The process starts here (entry_linux_amd64.go says why). The stack holds
// argc at 0(SP), then argv[0..argc-1], a NULL, then the environment. Only
// system calls are made: nothing of Go is set up yet. Every way out that is
// not a successful execve jumps to the Go runtime's entry point with SP and
// the stack as the kernel left them.
TEXT ·entry(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	0(SP), R8 // argc
	CMPQ	R8, $2
	JLT	runtime
	MOVQ	16(SP), R9 // argv[1]
	MOVQ	·entryNames(SB), R10

name: // R10: the next name of entryNames, or its final empty one
	MOVBLZX	0(R10), AX
	TESTB	AX, AX
	JZ	runtime
	MOVQ	R9, R11

compare:
	MOVBLZX	0(R10), AX
	MOVBLZX	0(R11), BX
	CMPB	AX, BX
	JNE	skip
	TESTB	AX, AX
	JZ	found
	INCQ	R10
	INCQ	R11
	JMP	compare

skip: // past the rest of this name and its NUL
	MOVBLZX	0(R10), AX
	INCQ	R10
	TESTB	AX, AX
	JNZ	skip
	JMP	name

found:
	// readlink("/proc/self/exe", buf, 4064) into the 4 KiB below SP, which
	// nothing uses yet; 32 bytes stay free for the full build's name. A
	// result that fills the buffer may be cut short: leave it to Go.
	LEAQ	-4096(SP), R12
	MOVQ	·entrySelf(SB), DI
	MOVQ	R12, SI
	MOVQ	$4064, DX
	MOVQ	$89, AX // SYS_readlink
	SYSCALL
	CMPQ	AX, $0
	JLE	runtime
	CMPQ	AX, $4064
	JGE	runtime

	// Find the last '/' of the path; the full build's name goes after it.
	LEAQ	(R12)(AX*1), DI

slash:
	DECQ	DI
	CMPQ	DI, R12
	JLT	runtime
	MOVBLZX	0(DI), AX
	CMPB	AX, $'/'
	JNE	slash
	INCQ	DI
	MOVQ	·entryFull(SB), SI

copy: // FullName and its NUL
	MOVBLZX	0(SI), AX
	MOVB	AX, 0(DI)
	INCQ	SI
	INCQ	DI
	TESTB	AX, AX
	JNZ	copy

	// execve(path, argv with argv[0] = path, envp); argv[0] is put back if
	// it returns.
	MOVQ	8(SP), R13
	MOVQ	R12, 8(SP)
	MOVQ	R12, DI
	LEAQ	8(SP), SI
	LEAQ	16(SP)(R8*8), DX // envp: past argv's NULL
	MOVQ	$59, AX // SYS_execve
	SYSCALL
	MOVQ	R13, 8(SP)

runtime:
	JMP	_rt0_amd64_linux(SB)
