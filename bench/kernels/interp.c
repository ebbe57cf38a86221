/* A bytecode interpreter with one huge dispatch function, the shape of SQLite's
 * sqlite3VdbeExec (where Binaryen's Asyncify is known to cost most): a switch over 130
 * opcodes in a loop, sixteen virtual registers held in locals, and the pausing import called
 * from inside the same function (the YIELD opcode, run once per iteration of the program's
 * outer loop). The program is a fixed pseudo-random block of 256 instructions run in an inner
 * loop; `run(outer)` runs the outer loop `outer` times. */
#include "common.h"

/* Groups of opcodes over the registers r0..r5 (u32), q0..q3 (u64), f0..f3 (f64). */
#define I32_BIN(X, name, expr)                                                               \
    X(name##_01, r0 = expr(r0, r1)) X(name##_12, r1 = expr(r1, r2))                          \
    X(name##_23, r2 = expr(r2, r3)) X(name##_34, r3 = expr(r3, r4))                          \
    X(name##_45, r4 = expr(r4, r5)) X(name##_50, r5 = expr(r5, r0))
#define I32_ONE(X, name, stmt)                                                               \
    X(name##_0, stmt(r0, r1)) X(name##_1, stmt(r1, r2)) X(name##_2, stmt(r2, r3))            \
    X(name##_3, stmt(r3, r4)) X(name##_4, stmt(r4, r5)) X(name##_5, stmt(r5, r0))
#define I64_BIN(X, name, expr)                                                               \
    X(name##_01, q0 = expr(q0, q1)) X(name##_12, q1 = expr(q1, q2))                          \
    X(name##_23, q2 = expr(q2, q3)) X(name##_30, q3 = expr(q3, q0))
#define QR(X, name, stmt)                                                                    \
    X(name##_0, stmt(q0, r0)) X(name##_1, stmt(q1, r1)) X(name##_2, stmt(q2, r2))            \
    X(name##_3, stmt(q3, r3))
#define FF(X, name, stmt)                                                                    \
    X(name##_01, stmt(f0, f1)) X(name##_12, stmt(f1, f2)) X(name##_23, stmt(f2, f3))         \
    X(name##_30, stmt(f3, f0))
#define FR(X, name, stmt)                                                                    \
    X(name##_0, stmt(f0, r0)) X(name##_1, stmt(f1, r1)) X(name##_2, stmt(f2, r2))            \
    X(name##_3, stmt(f3, r3))

#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MUL(a, b) ((a) * (b))
#define XOR(a, b) ((a) ^ (b))
#define AND(a, b) ((a) & (b))
#define OR(a, b) ((a) | (b))
#define SHL(a, b) ((a) << ((b) & 31))
#define SHR(a, b) ((a) >> ((b) & 31))
#define ROT(a, b) (((a) << ((b) & 31)) | ((a) >> ((32 - ((b) & 31)) & 31)))
#define DIV(a, b) ((a) / ((b) | 1))
#define REM(a, b) ((a) % ((b) | 1))
#define ADDI(a, b) a += (uint32_t)imm
#define MOVI(a, b) a = (uint32_t)imm ^ (b)
#define LOAD(a, b) a = mem[(b) & 1023]
#define STORE(a, b) mem[(a) & 1023] = (b)
#define CMOV(a, b) if ((int32_t)(a) < (int32_t)(b)) a ^= (b) >> 3
#define QFROM(q, r) q += (uint64_t)(r) * 0x9e3779b97f4a7c15ull
#define RFROMQ(q, r) r ^= (uint32_t)((q) >> 17)
#define QSHR(q, r) q ^= (q) >> ((r) & 63)
#define MIX(a, b) a = (a) * 0.75 + (b) * 0.25
#define AVG(a, b) a = ((a) + (b)) * 0.5
#define FFROMR(f, r) f = (f) * 0.5 + (double)((r) & 0xffff)
#define RFROMF(f, r) r += (uint32_t)(f)
#define SQRT(f, r) f = __builtin_sqrt(f) + (double)((r) & 7)

#define OPCODES(X)                                                                           \
    I32_BIN(X, ADD, ADD) I32_BIN(X, SUB, SUB) I32_BIN(X, MUL, MUL) I32_BIN(X, XOR, XOR)      \
    I32_BIN(X, AND, AND) I32_BIN(X, OR, OR) I32_BIN(X, SHL, SHL) I32_BIN(X, SHR, SHR)        \
    I32_BIN(X, ROT, ROT) I32_BIN(X, DIV, DIV) I32_BIN(X, REM, REM)                           \
    I32_ONE(X, ADDI, ADDI) I32_ONE(X, MOVI, MOVI) I32_ONE(X, LOAD, LOAD)                     \
    I32_ONE(X, STORE, STORE) I32_ONE(X, CMOV, CMOV)                                          \
    I64_BIN(X, QADD, ADD) I64_BIN(X, QXOR, XOR) I64_BIN(X, QMUL, MUL) QR(X, QFROM, QFROM)    \
    QR(X, RFROMQ, RFROMQ) QR(X, QSHR, QSHR)                                                  \
    FF(X, MIX, MIX) FF(X, AVG, AVG) FR(X, FFROMR, FFROMR) FR(X, RFROMF, RFROMF)              \
    FR(X, SQRT, SQRT)

#define ENUM(name, stmt) OP_##name,
enum {
    OPCODES(ENUM)
    /* The first non-generated opcode; the generator picks from those before it. */
    OP_YIELD,
    OP_SET_INNER,
    OP_INNER,
    OP_OUTER,
    OP_HALT,
    OP_COUNT
};

typedef struct {
    uint16_t op;
    int32_t imm;
} insn;

#define BLOCK 256
static insn program[BLOCK + 8];
static uint32_t mem[1024];

static void assemble(int inner) {
    uint32_t seed = 2463534242u;
    int pc = 0;
    program[pc++] = (insn){OP_YIELD, 0};
    program[pc++] = (insn){OP_SET_INNER, inner};
    int body = pc;
    for (int i = 0; i < BLOCK; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        program[pc++] = (insn){(uint16_t)(seed % OP_YIELD), (int32_t)(seed >> 7)};
    }
    program[pc++] = (insn){OP_INNER, body};
    program[pc++] = (insn){OP_OUTER, 0};
    program[pc++] = (insn){OP_HALT, 0};
}

__attribute__((noinline)) static uint32_t interpret(const insn *code, int outer) {
    uint32_t r0 = 1, r1 = 2, r2 = 3, r3 = 4, r4 = 5, r5 = 6, inner = 0;
    uint64_t q0 = 7, q1 = 8, q2 = 9, q3 = 10;
    double f0 = 1.5, f1 = 2.5, f2 = 3.5, f3 = 4.5;
    int pc = 0;
    for (;;) {
        insn in = code[pc++];
        int32_t imm = in.imm;
        switch (in.op) {
#define CASE(name, stmt)                                                                     \
    case OP_##name:                                                                          \
        stmt;                                                                                \
        break;
            OPCODES(CASE)
        case OP_YIELD:
            host_yield();
            break;
        case OP_SET_INNER:
            inner = (uint32_t)imm;
            break;
        case OP_INNER:
            if (--inner != 0) {
                pc = imm;
            }
            break;
        case OP_OUTER:
            if (--outer > 0) {
                pc = imm;
            }
            break;
        case OP_HALT: {
            uint64_t h = q0 ^ (q1 << 1) ^ (q2 << 2) ^ (q3 << 3);
            h ^= (uint64_t)(f0 * 1024) + (uint64_t)(f1 * 2048) + (uint64_t)(f2 * 4096) +
                 (uint64_t)(f3 * 8192);
            return r0 ^ r1 * 3 ^ r2 * 5 ^ r3 * 7 ^ r4 * 11 ^ r5 * 13 ^ (uint32_t)h ^
                   (uint32_t)(h >> 32);
        }
        }
    }
}

EXPORT("run") int run(int outer) {
    assemble(8000);
    for (int i = 0; i < 1024; i++) {
        mem[i] = (uint32_t)i * 2654435761u;
    }
    uint32_t result = interpret(program, outer);
    printf("interp(%d) = %08x (%d opcodes)\n", outer, result, OP_COUNT);
    fflush(stdout);
    return (int)result;
}
