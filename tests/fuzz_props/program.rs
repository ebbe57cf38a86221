//! A generator of structured programs that call pausing imports in interesting places.
//!
//! wasm-smith modules rarely call imports, and almost never with values on the operand stack,
//! inside loops with parameters, or through tables. These programs do, on purpose: every
//! expression may contain an async import call (`env.sleep_*`), so values sit on the operand
//! stack across pauses; blocks, loops and ifs take parameters and return several results;
//! branches (`br`, `br_if`, `br_table`, loop continues) carry values out of pausing code; calls
//! go between generated functions (recursion included) and through a table; tail calls appear.
//!
//! Every program terminates: loops run off a counter local that only their continue
//! statements decrement, and every function takes a depth `$d` as its first parameter, returns
//! at once when it is 0 and passes `$d - 1` to every call.
//!
//! Programs are built as a typed tree ([`Program`]) and printed as WAT ([`Program::to_wat`]),
//! so a failing case reads like a program and shrinks by deleting statements
//! ([`Program::shrink_candidates`]).
//!
//! A *re-entrant* program never writes globals or memory: several calls of it can be paused
//! and interleaved (coroutines) and still each compute what it computes alone.

use arbitrary::Unstructured;
use std::fmt::Write as _;

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
    V128,
}

pub const TYS: [Ty; 5] = [Ty::I32, Ty::I64, Ty::F32, Ty::F64, Ty::V128];

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::V128 => "v128",
        }
    }
}

/// An import of the generated programs (all from module `env`).
#[derive(Clone, Copy, Debug)]
pub struct Import {
    pub name: &'static str,
    pub params: &'static [Ty],
    pub results: &'static [Ty],
    /// Listed in `--imports`: the host may pause in it.
    pub pausing: bool,
}

use Ty::*;

/// The imports every program declares. `sleep*` can pause; `pure_i32` returns a value but never
/// pauses (and is not listed); `log_*` record their argument in the transcript.
pub const IMPORTS: &[Import] = &[
    Import {
        name: "sleep",
        params: &[],
        results: &[],
        pausing: true,
    },
    Import {
        name: "sleep_i32",
        params: &[I32],
        results: &[I32],
        pausing: true,
    },
    Import {
        name: "sleep_i64",
        params: &[I64],
        results: &[I64],
        pausing: true,
    },
    Import {
        name: "sleep_f32",
        params: &[F32],
        results: &[F32],
        pausing: true,
    },
    Import {
        name: "sleep_f64",
        params: &[F64],
        results: &[F64],
        pausing: true,
    },
    Import {
        name: "sleep_v128",
        params: &[V128],
        results: &[V128],
        pausing: true,
    },
    Import {
        name: "sleep_multi",
        params: &[I32, F64],
        results: &[I64, F32],
        pausing: true,
    },
    Import {
        name: "sleep_mix",
        params: &[I64, I32, F32],
        results: &[I32],
        pausing: true,
    },
    Import {
        name: "pure_i32",
        params: &[I32],
        results: &[I32],
        pausing: false,
    },
    Import {
        name: "log_i32",
        params: &[I32],
        results: &[],
        pausing: false,
    },
    Import {
        name: "log_i64",
        params: &[I64],
        results: &[],
        pausing: false,
    },
    Import {
        name: "log_f32",
        params: &[F32],
        results: &[],
        pausing: false,
    },
    Import {
        name: "log_f64",
        params: &[F64],
        results: &[],
        pausing: false,
    },
    Import {
        name: "log_v128",
        params: &[V128],
        results: &[],
        pausing: false,
    },
];

/// `module.name` of every import the host may pause in.
pub fn async_imports() -> Vec<String> {
    IMPORTS
        .iter()
        .filter(|i| i.pausing)
        .map(|i| format!("env.{}", i.name))
        .collect()
}

fn log_import(ty: Ty) -> usize {
    IMPORTS
        .iter()
        .position(|i| i.name.strip_prefix("log_") == Some(ty.name()))
        .expect("a log import per type")
}

/// One operator: its WAT text, operand types and result type.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    pub text: &'static str,
    pub args: &'static [Ty],
    pub result: Ty,
    /// Can trap (division by zero, float-to-int overflow).
    pub traps: bool,
}

const fn op(text: &'static str, args: &'static [Ty], result: Ty) -> Op {
    Op {
        text,
        args,
        result,
        traps: false,
    }
}

const fn trapping(text: &'static str, args: &'static [Ty], result: Ty) -> Op {
    Op {
        text,
        args,
        result,
        traps: true,
    }
}

/// The operators expressions are built from.
pub const OPS: &[Op] = &[
    // i32
    op("i32.add", &[I32, I32], I32),
    op("i32.sub", &[I32, I32], I32),
    op("i32.mul", &[I32, I32], I32),
    op("i32.xor", &[I32, I32], I32),
    op("i32.and", &[I32, I32], I32),
    op("i32.or", &[I32, I32], I32),
    op("i32.shl", &[I32, I32], I32),
    op("i32.shr_s", &[I32, I32], I32),
    op("i32.rotr", &[I32, I32], I32),
    op("i32.lt_s", &[I32, I32], I32),
    op("i32.ge_u", &[I32, I32], I32),
    op("i32.eq", &[I32, I32], I32),
    op("i64.lt_u", &[I64, I64], I32),
    op("i64.ne", &[I64, I64], I32),
    op("f32.lt", &[F32, F32], I32),
    op("f64.ge", &[F64, F64], I32),
    op("f64.eq", &[F64, F64], I32),
    op("i32.eqz", &[I32], I32),
    op("i32.clz", &[I32], I32),
    op("i32.popcnt", &[I32], I32),
    op("i32.extend8_s", &[I32], I32),
    op("i64.eqz", &[I64], I32),
    op("i32.wrap_i64", &[I64], I32),
    op("i32.trunc_sat_f32_s", &[F32], I32),
    op("i32.trunc_sat_f64_u", &[F64], I32),
    op("i32.reinterpret_f32", &[F32], I32),
    op("i32x4.extract_lane 1", &[V128], I32),
    op("i8x16.extract_lane_s 9", &[V128], I32),
    op("v128.any_true", &[V128], I32),
    trapping("i32.div_s", &[I32, I32], I32),
    trapping("i32.rem_u", &[I32, I32], I32),
    trapping("i32.trunc_f64_s", &[F64], I32),
    // i64
    op("i64.add", &[I64, I64], I64),
    op("i64.sub", &[I64, I64], I64),
    op("i64.mul", &[I64, I64], I64),
    op("i64.xor", &[I64, I64], I64),
    op("i64.rotl", &[I64, I64], I64),
    op("i64.shr_u", &[I64, I64], I64),
    op("i64.clz", &[I64], I64),
    op("i64.popcnt", &[I64], I64),
    op("i64.extend32_s", &[I64], I64),
    op("i64.extend_i32_s", &[I32], I64),
    op("i64.extend_i32_u", &[I32], I64),
    op("i64.trunc_sat_f64_s", &[F64], I64),
    op("i64.reinterpret_f64", &[F64], I64),
    op("i64x2.extract_lane 1", &[V128], I64),
    trapping("i64.div_u", &[I64, I64], I64),
    trapping("i64.trunc_f32_u", &[F32], I64),
    // f32
    op("f32.add", &[F32, F32], F32),
    op("f32.sub", &[F32, F32], F32),
    op("f32.mul", &[F32, F32], F32),
    op("f32.div", &[F32, F32], F32),
    op("f32.min", &[F32, F32], F32),
    op("f32.copysign", &[F32, F32], F32),
    op("f32.neg", &[F32], F32),
    op("f32.sqrt", &[F32], F32),
    op("f32.floor", &[F32], F32),
    op("f32.nearest", &[F32], F32),
    op("f32.convert_i32_s", &[I32], F32),
    op("f32.convert_i64_u", &[I64], F32),
    op("f32.demote_f64", &[F64], F32),
    op("f32.reinterpret_i32", &[I32], F32),
    op("f32x4.extract_lane 2", &[V128], F32),
    // f64
    op("f64.add", &[F64, F64], F64),
    op("f64.sub", &[F64, F64], F64),
    op("f64.mul", &[F64, F64], F64),
    op("f64.div", &[F64, F64], F64),
    op("f64.max", &[F64, F64], F64),
    op("f64.abs", &[F64], F64),
    op("f64.ceil", &[F64], F64),
    op("f64.trunc", &[F64], F64),
    op("f64.convert_i32_u", &[I32], F64),
    op("f64.convert_i64_s", &[I64], F64),
    op("f64.promote_f32", &[F32], F64),
    op("f64.reinterpret_i64", &[I64], F64),
    op("f64x2.extract_lane 0", &[V128], F64),
    // v128
    op("i32x4.add", &[V128, V128], V128),
    op("i64x2.mul", &[V128, V128], V128),
    op("f32x4.add", &[V128, V128], V128),
    op("f64x2.div", &[V128, V128], V128),
    op("v128.xor", &[V128, V128], V128),
    op("i8x16.add_sat_s", &[V128, V128], V128),
    op("i32x4.eq", &[V128, V128], V128),
    op("v128.not", &[V128], V128),
    op("i16x8.neg", &[V128], V128),
    op("f32x4.sqrt", &[V128], V128),
    op("i32x4.splat", &[I32], V128),
    op("i64x2.splat", &[I64], V128),
    op("f32x4.splat", &[F32], V128),
    op("f64x2.splat", &[F64], V128),
];

/// Loads by result type: (instruction, natural alignment is fine with any address).
const LOADS: &[(&str, Ty)] = &[
    ("i32.load", I32),
    ("i32.load8_u", I32),
    ("i32.load16_s", I32),
    ("i64.load", I64),
    ("i64.load32_u", I64),
    ("f32.load", F32),
    ("f64.load", F64),
    ("v128.load", V128),
];

const STORES: &[(&str, Ty)] = &[
    ("i32.store", I32),
    ("i32.store8", I32),
    ("i64.store", I64),
    ("i64.store16", I64),
    ("f32.store", F32),
    ("f64.store", F64),
    ("v128.store", V128),
];

/// Addresses are masked into the first kilobyte (plus a small offset): loads and stores never
/// trap, and the asyncify buffers (in pages the host adds) are never touched.
const ADDRESS_MASK: i32 = 0x3f0;

/// An expression: pushes exactly one value.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A constant: the bits of the value (low and high halves for v128).
    Const(Ty, u64, u64),
    Get(u32),
    GlobalGet(u32),
    Load {
        op: &'static str,
        addr: Box<Expr>,
        offset: u32,
    },
    Op {
        op: Op,
        args: Vec<Expr>,
    },
    Select(Box<Expr>, Box<Expr>, Box<Expr>),
    Tee(u32, Box<Expr>),
    /// A generated function returning exactly one value.
    Call {
        func: usize,
        args: Vec<Expr>,
    },
    /// An import returning exactly one value.
    Import {
        import: usize,
        args: Vec<Expr>,
    },
    /// Through the table; `func_ty` indexes [`Program::types`].
    CallIndirect {
        func_ty: usize,
        args: Vec<Expr>,
        slot: Box<Expr>,
    },
    /// A block, loop or if with exactly one result.
    Block(Box<Block>),
}

/// Something that pushes any number of values, consumed by sinks in a [`Stmt::Multi`].
#[derive(Clone, Debug)]
pub enum Multi {
    Block(Box<Block>),
    Call {
        func: usize,
        args: Vec<Expr>,
    },
    Import {
        import: usize,
        args: Vec<Expr>,
    },
    CallIndirect {
        func_ty: usize,
        args: Vec<Expr>,
        slot: Expr,
    },
}

/// Where a value on the stack goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    Drop,
    Set(u32),
    GlobalSet(u32),
    Log,
}

/// A statement: leaves the operand stack as it found it (or ends the sequence, for branches).
#[derive(Clone, Debug)]
pub enum Stmt {
    Set(u32, Expr),
    GlobalSet(u32, Expr),
    Store {
        op: &'static str,
        addr: Expr,
        offset: u32,
        value: Expr,
    },
    /// Pass the value to the type's `log_*` import (the transcript records it).
    Log(Ty, Expr),
    Drop(Expr),
    /// Push values and pop them into sinks (top first).
    Multi {
        src: Multi,
        sinks: Vec<(Sink, Ty)>,
    },
    /// `br` to an enclosing block or if (ends the sequence).
    Br {
        label: u32,
        values: Vec<Expr>,
    },
    /// `br_if`; if not taken, the values are popped into `sinks` (top first).
    BrIf {
        label: u32,
        values: Vec<Expr>,
        cond: Expr,
        sinks: Vec<(Sink, Ty)>,
    },
    /// `br_table` over labels of one type (ends the sequence).
    BrTable {
        labels: Vec<u32>,
        default: u32,
        values: Vec<Expr>,
        index: Expr,
    },
    /// Branch back to an enclosing loop if its counter, decremented, is not zero.
    Continue {
        label: u32,
        counter: u32,
        args: Vec<Expr>,
        sinks: Vec<(Sink, Ty)>,
    },
    Return(Vec<Expr>),
    /// `throw $exc` with the value (ends the sequence). Uncaught, it leaves the export: the
    /// host records that like a trap.
    Throw(Expr),
    /// `block $done (block $h (result i32) (try_table (catch $exc $h) body) (br $done))`,
    /// then the caught value into `sink` and the handler: both may branch to `$done` (the
    /// label `done`), and pause.
    Try {
        done: u32,
        body: Vec<Stmt>,
        sink: Sink,
        handler: Vec<Stmt>,
    },
    ReturnCall {
        func: usize,
        args: Vec<Expr>,
    },
    ReturnCallIndirect {
        func_ty: usize,
        args: Vec<Expr>,
        slot: Expr,
    },
    Unreachable,
}

#[derive(Clone, Debug)]
pub enum BlockKind {
    Block,
    /// A loop whose continues decrement `counter`, set to `trips` before the loop.
    Loop {
        counter: u32,
        trips: u32,
    },
    If {
        cond: Expr,
    },
}

/// How a block's body ends: pop the parameters still on the stack into sinks, push the
/// results; or, with `keep`, let the parameters be the results.
#[derive(Clone, Debug, Default)]
pub struct Tail {
    pub keep: bool,
    pub sinks: Vec<(Sink, Ty)>,
    pub outputs: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: BlockKind,
    pub label: u32,
    pub params: Vec<Ty>,
    pub results: Vec<Ty>,
    /// Computes the parameters, in order.
    pub inputs: Vec<Expr>,
    pub body: Vec<Stmt>,
    pub tail: Tail,
    /// The else arm of an `if` (`None`: no else, only when params == results).
    pub else_arm: Option<(Vec<Stmt>, Tail)>,
}

/// A generated function. Local 0 is the depth `$d`; then the parameters; then the locals.
#[derive(Clone, Debug)]
pub struct Func {
    pub params: Vec<Ty>,
    pub results: Vec<Ty>,
    pub locals: Vec<Ty>,
    pub body: Vec<Stmt>,
    /// Pushes the results at the end of the body.
    pub outputs: Vec<Expr>,
    /// Index into [`Program::types`].
    pub ty: usize,
    /// Exported as `between` rather than `f<i>`, and never called by other functions.
    pub between: bool,
}

/// A value passed to an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
}

/// One call of an export (a coroutine when calls are interleaved).
#[derive(Clone, Debug)]
pub struct Call {
    pub export: String,
    pub args: Vec<Value>,
}

#[derive(Clone, Debug)]
pub struct Program {
    pub funcs: Vec<Func>,
    /// Distinct function signatures (without the depth parameter).
    pub types: Vec<(Vec<Ty>, Vec<Ty>)>,
    /// Mutable globals with their initial bits.
    pub globals: Vec<(Ty, u64)>,
    /// Function in each table slot.
    pub table: Vec<usize>,
    /// Never writes globals or memory.
    pub reentrant: bool,
    /// Declares the tag `$exc` (may throw and catch).
    pub exceptions: bool,
    /// The calls the host makes.
    pub calls: Vec<Call>,
}

/// Limits of a generated program.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_funcs: usize,
    /// Roughly the number of expression and statement nodes.
    pub budget: i32,
    pub max_nesting: u32,
    pub reentrant: bool,
    /// Allow code after unconditional branches (dead code, still validated).
    pub dead_code: bool,
    /// Allow operators that trap.
    pub traps: bool,
    /// Allow `throw` and `try_table` (a tag `$exc` carrying an i32).
    pub exceptions: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_funcs: 5,
            budget: 200,
            max_nesting: 5,
            reentrant: false,
            dead_code: true,
            traps: true,
            exceptions: false,
        }
    }
}

/// Generation state.
struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    limits: Limits,
    budget: i32,
    next_label: u32,
    funcs: Vec<Func>,
    types: Vec<(Vec<Ty>, Vec<Ty>)>,
    globals: Vec<(Ty, u64)>,
    table: Vec<usize>,
}

/// Per-function generation state.
struct Cx {
    func: usize,
    /// Types of all locals (depth, params, locals).
    locals: Vec<Ty>,
    /// Loop counters: never read or written except by their loop.
    reserved: Vec<u32>,
    labels: Vec<Label>,
    nesting: u32,
    results: Vec<Ty>,
    /// No global or memory writes, no calls of generated functions (the `between` export of a
    /// program that is not re-entrant).
    pure_code: bool,
}

#[derive(Clone, Debug)]
struct Label {
    id: u32,
    /// What a branch to it carries.
    types: Vec<Ty>,
    /// For loops: the counter.
    counter: Option<u32>,
}

impl Gen<'_, '_> {
    /// A number in `0..n`; 0 when the input runs out (0 is always the simplest choice).
    fn pick(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    /// True with probability `percent`% (false when the input runs out).
    fn chance(&mut self, percent: u32) -> bool {
        self.u.int_in_range(1..=100u32).unwrap_or(100) <= percent && !self.u.is_empty()
    }

    fn ty(&mut self) -> Ty {
        TYS[self.pick(TYS.len())]
    }

    fn types(&mut self, max: usize) -> Vec<Ty> {
        let n = self.pick(max + 1);
        (0..n).map(|_| self.ty()).collect()
    }

    fn label(&mut self) -> u32 {
        self.next_label += 1;
        self.next_label
    }

    fn constant(&mut self, ty: Ty) -> Expr {
        let interesting: [u64; 8] = [0, 1, u64::MAX, 0x8000_0000, 7, 0x7fff_ffff, 42, 1 << 63];
        let bits = if self.chance(50) {
            interesting[self.pick(interesting.len())]
        } else {
            self.u.arbitrary::<u64>().unwrap_or(0)
        };
        let bits = match ty {
            F32 => {
                let floats = [0.0f32, -0.0, 1.5, -2.25, 1e10, f32::INFINITY, f32::NAN, 0.1];
                if self.chance(60) {
                    floats[self.pick(floats.len())].to_bits() as u64
                } else {
                    bits & 0xffff_ffff
                }
            }
            F64 => {
                let floats = [
                    0.0f64,
                    -0.0,
                    1.5,
                    -3.75,
                    1e300,
                    f64::NEG_INFINITY,
                    f64::NAN,
                    0.1,
                ];
                if self.chance(60) {
                    floats[self.pick(floats.len())].to_bits()
                } else {
                    bits
                }
            }
            I32 => bits & 0xffff_ffff,
            _ => bits,
        };
        let high = if ty == V128 {
            self.u.arbitrary::<u64>().unwrap_or(0)
        } else {
            0
        };
        Expr::Const(ty, bits, high)
    }

    /// A local of type `ty` that expressions may read and write (never a loop counter),
    /// sometimes a new one.
    fn local(&mut self, cx: &mut Cx, ty: Ty) -> u32 {
        let candidates: Vec<u32> = (1..cx.locals.len() as u32)
            .filter(|&i| cx.locals[i as usize] == ty && !cx.reserved.contains(&i))
            .collect();
        if !candidates.is_empty() && (candidates.len() >= 4 || self.chance(70)) {
            return candidates[self.pick(candidates.len())];
        }
        cx.locals.push(ty);
        (cx.locals.len() - 1) as u32
    }

    fn global(&mut self, ty: Ty) -> u32 {
        let candidates: Vec<u32> = (0..self.globals.len() as u32)
            .filter(|&i| self.globals[i as usize].0 == ty)
            .collect();
        if !candidates.is_empty() && (candidates.len() >= 2 || self.chance(70)) {
            return candidates[self.pick(candidates.len())];
        }
        let init = self.u.arbitrary::<u64>().unwrap_or(0);
        let init = if matches!(ty, I32 | F32) {
            init & 0xffff_ffff
        } else {
            init
        };
        self.globals.push((ty, init));
        (self.globals.len() - 1) as u32
    }

    fn args(&mut self, cx: &mut Cx, tys: &[Ty]) -> Vec<Expr> {
        tys.iter().map(|&t| self.expr(cx, t)).collect()
    }

    /// Generated functions (not `between`) whose results are `results`.
    fn funcs_returning(&self, results: &[Ty]) -> Vec<usize> {
        (0..self.funcs.len())
            .filter(|&f| !self.funcs[f].between && self.funcs[f].results == results)
            .collect()
    }

    /// Types whose table slots exist and whose results are `results`.
    fn types_returning(&self, results: &[Ty]) -> Vec<usize> {
        (0..self.types.len())
            .filter(|&t| {
                self.types[t].1 == results && self.table.iter().any(|&f| self.funcs[f].ty == t)
            })
            .collect()
    }

    fn imports_returning(&self, results: &[Ty]) -> Vec<usize> {
        (0..IMPORTS.len())
            .filter(|&i| IMPORTS[i].results == results)
            .collect()
    }

    /// The slot expression of a call through the table: usually a slot holding a function
    /// of the right type, sometimes a computed index (which may trap).
    fn slot(&mut self, cx: &mut Cx, func_ty: usize) -> Expr {
        let slots: Vec<usize> = (0..self.table.len())
            .filter(|&s| self.funcs[self.table[s]].ty == func_ty)
            .collect();
        if !slots.is_empty() && !self.chance(8) {
            let slot = slots[self.pick(slots.len())];
            return Expr::Const(I32, slot as u64, 0);
        }
        let index = self.expr(cx, I32);
        Expr::Op {
            op: op("i32.and", &[I32, I32], I32),
            args: vec![index, Expr::Const(I32, 7, 0)],
        }
    }

    fn leaf(&mut self, cx: &mut Cx, ty: Ty) -> Expr {
        match self.pick(3) {
            0 => self.constant(ty),
            1 => Expr::Get(self.local(cx, ty)),
            _ => Expr::GlobalGet(self.global(ty)),
        }
    }

    fn expr(&mut self, cx: &mut Cx, ty: Ty) -> Expr {
        self.budget -= 1;
        if self.budget <= 0 || cx.nesting > self.limits.max_nesting + 2 {
            return self.leaf(cx, ty);
        }
        cx.nesting += 1;
        let e = self.expr_inner(cx, ty);
        cx.nesting -= 1;
        e
    }

    fn expr_inner(&mut self, cx: &mut Cx, ty: Ty) -> Expr {
        match self.pick(18) {
            0..=2 => self.leaf(cx, ty),
            3..=5 => {
                let ops: Vec<Op> = OPS
                    .iter()
                    .copied()
                    .filter(|o| o.result == ty && (self.limits.traps || !o.traps))
                    .collect();
                let mut o = ops[self.pick(ops.len())];
                if o.traps && !self.chance(30) {
                    o = ops[0];
                }
                let args = self.args(cx, o.args);
                Expr::Op { op: o, args }
            }
            6 => {
                let a = self.expr(cx, ty);
                let b = self.expr(cx, ty);
                let c = self.expr(cx, I32);
                Expr::Select(Box::new(a), Box::new(b), Box::new(c))
            }
            7 => {
                let local = self.local(cx, ty);
                Expr::Tee(local, Box::new(self.expr(cx, ty)))
            }
            8 => {
                let loads: Vec<&(&str, Ty)> = LOADS.iter().filter(|l| l.1 == ty).collect();
                let (op, _) = *loads[self.pick(loads.len())];
                let addr = self.expr(cx, I32);
                Expr::Load {
                    op,
                    addr: Box::new(addr),
                    offset: self.pick(16) as u32,
                }
            }
            9..=12 => {
                // The interesting case: an import that can pause, inside an expression.
                let imports = self.imports_returning(&[ty]);
                if imports.is_empty() {
                    return self.leaf(cx, ty);
                }
                let import = imports[self.pick(imports.len())];
                let args = self.args(cx, IMPORTS[import].params);
                Expr::Import { import, args }
            }
            13 | 14 if !cx.pure_code => {
                let funcs = self.funcs_returning(&[ty]);
                if funcs.is_empty() {
                    return self.leaf(cx, ty);
                }
                let func = funcs[self.pick(funcs.len())];
                let args = self.args(cx, &self.funcs[func].params.clone());
                Expr::Call { func, args }
            }
            15 if !cx.pure_code => {
                let types = self.types_returning(&[ty]);
                if types.is_empty() {
                    return self.leaf(cx, ty);
                }
                let func_ty = types[self.pick(types.len())];
                let args = self.args(cx, &self.types[func_ty].0.clone());
                let slot = self.slot(cx, func_ty);
                Expr::CallIndirect {
                    func_ty,
                    args,
                    slot: Box::new(slot),
                }
            }
            _ => {
                if cx.nesting > self.limits.max_nesting {
                    return self.leaf(cx, ty);
                }
                let params = self.types(2);
                Expr::Block(Box::new(self.block(cx, params, vec![ty])))
            }
        }
    }

    fn sink(&mut self, cx: &mut Cx, ty: Ty) -> Sink {
        match self.pick(4) {
            0 => Sink::Drop,
            1 => Sink::Set(self.local(cx, ty)),
            2 if !self.limits.reentrant && !cx.pure_code => Sink::GlobalSet(self.global(ty)),
            _ => Sink::Log,
        }
    }

    /// Sinks for values of `tys` on the stack (returned top first).
    fn sinks(&mut self, cx: &mut Cx, tys: &[Ty]) -> Vec<(Sink, Ty)> {
        tys.iter().rev().map(|&t| (self.sink(cx, t), t)).collect()
    }

    fn tail(&mut self, cx: &mut Cx, params: &[Ty], results: &[Ty]) -> Tail {
        if params == results && self.chance(50) {
            return Tail {
                keep: true,
                ..Tail::default()
            };
        }
        let sinks = self.sinks(cx, params);
        let outputs = self.args(cx, results);
        Tail {
            keep: false,
            sinks,
            outputs,
        }
    }

    /// A block, loop or if taking `params` and producing `results`.
    fn block(&mut self, cx: &mut Cx, params: Vec<Ty>, results: Vec<Ty>) -> Block {
        let label = self.label();
        let inputs = self.args(cx, &params);
        let kind = match self.pick(3) {
            0 => BlockKind::Block,
            1 => {
                // The counter is reserved before the condition or body can pick it.
                cx.locals.push(I32);
                let counter = (cx.locals.len() - 1) as u32;
                cx.reserved.push(counter);
                BlockKind::Loop {
                    counter,
                    trips: 1 + self.pick(3) as u32,
                }
            }
            _ => BlockKind::If {
                cond: self.expr(cx, I32),
            },
        };
        let (label_types, counter) = match kind {
            BlockKind::Loop { counter, .. } => (params.clone(), Some(counter)),
            _ => (results.clone(), None),
        };
        cx.nesting += 1;
        cx.labels.push(Label {
            id: label,
            types: label_types,
            counter,
        });
        let body = self.stmts(cx);
        let tail = self.tail(cx, &params, &results);
        let else_arm = match kind {
            BlockKind::If { .. } if params != results || self.chance(70) => {
                let body = self.stmts(cx);
                let tail = self.tail(cx, &params, &results);
                Some((body, tail))
            }
            _ => None,
        };
        cx.labels.pop();
        cx.nesting -= 1;
        Block {
            kind,
            label,
            params,
            results,
            inputs,
            body,
            tail,
            else_arm,
        }
    }

    fn stmts(&mut self, cx: &mut Cx) -> Vec<Stmt> {
        let n = self.pick(6);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            if self.budget <= 0 {
                break;
            }
            let s = self.stmt(cx);
            let ends = matches!(
                s,
                Stmt::Br { .. }
                    | Stmt::BrTable { .. }
                    | Stmt::Return(_)
                    | Stmt::ReturnCall { .. }
                    | Stmt::ReturnCallIndirect { .. }
                    | Stmt::Unreachable
                    | Stmt::Throw(_)
            );
            out.push(s);
            if ends && !(self.limits.dead_code && self.chance(15)) {
                break;
            }
        }
        out
    }

    fn stmt(&mut self, cx: &mut Cx) -> Stmt {
        self.budget -= 1;
        let writes = !self.limits.reentrant && !cx.pure_code;
        match self.pick(20) {
            0 | 1 => {
                let ty = self.ty();
                let local = self.local(cx, ty);
                Stmt::Set(local, self.expr(cx, ty))
            }
            2 if writes => {
                let ty = self.ty();
                let global = self.global(ty);
                Stmt::GlobalSet(global, self.expr(cx, ty))
            }
            3 if writes => {
                let (op, ty) = STORES[self.pick(STORES.len())];
                let addr = self.expr(cx, I32);
                let value = self.expr(cx, ty);
                Stmt::Store {
                    op,
                    addr,
                    offset: self.pick(16) as u32,
                    value,
                }
            }
            4 | 5 => {
                let ty = self.ty();
                Stmt::Log(ty, self.expr(cx, ty))
            }
            6 => {
                let ty = self.ty();
                Stmt::Drop(self.expr(cx, ty))
            }
            7..=9 if cx.nesting <= self.limits.max_nesting => {
                let params = self.types(2);
                let results = self.types(2);
                let block = self.block(cx, params, results.clone());
                let sinks = self.sinks(cx, &results);
                Stmt::Multi {
                    src: Multi::Block(Box::new(block)),
                    sinks,
                }
            }
            10 => {
                // Mostly the pausing imports (the first ones).
                let pausing = IMPORTS.iter().filter(|i| i.pausing).count();
                let import = if self.chance(75) {
                    self.pick(pausing)
                } else {
                    self.pick(IMPORTS.len())
                };
                let args = self.args(cx, IMPORTS[import].params);
                let sinks = self.sinks(cx, IMPORTS[import].results);
                Stmt::Multi {
                    src: Multi::Import { import, args },
                    sinks,
                }
            }
            11 if !cx.pure_code => {
                let candidates: Vec<usize> = (0..self.funcs.len())
                    .filter(|&f| !self.funcs[f].between)
                    .collect();
                let func = candidates[self.pick(candidates.len())];
                let (params, results) = (
                    self.funcs[func].params.clone(),
                    self.funcs[func].results.clone(),
                );
                let args = self.args(cx, &params);
                let sinks = self.sinks(cx, &results);
                Stmt::Multi {
                    src: Multi::Call { func, args },
                    sinks,
                }
            }
            12 if !cx.pure_code && !self.table.is_empty() => {
                let slot = self.pick(self.table.len());
                let func_ty = self.funcs[self.table[slot]].ty;
                let (params, results) = self.types[func_ty].clone();
                let args = self.args(cx, &params);
                let slot = self.slot(cx, func_ty);
                let sinks = self.sinks(cx, &results);
                Stmt::Multi {
                    src: Multi::CallIndirect {
                        func_ty,
                        args,
                        slot,
                    },
                    sinks,
                }
            }
            13 | 14 => self.branch(cx),
            15 => self.continue_loop(cx),
            16 if self.chance(30) => {
                let results = cx.results.clone();
                Stmt::Return(self.args(cx, &results))
            }
            17 if !cx.pure_code && self.chance(40) => {
                let funcs = self.funcs_returning(&cx.results.clone());
                let types = self.types_returning(&cx.results.clone());
                if !types.is_empty() && self.chance(40) {
                    let func_ty = types[self.pick(types.len())];
                    let args = self.args(cx, &self.types[func_ty].0.clone());
                    let slot = self.slot(cx, func_ty);
                    Stmt::ReturnCallIndirect {
                        func_ty,
                        args,
                        slot,
                    }
                } else if !funcs.is_empty() {
                    let func = funcs[self.pick(funcs.len())];
                    let args = self.args(cx, &self.funcs[func].params.clone());
                    Stmt::ReturnCall { func, args }
                } else {
                    Stmt::Drop(self.expr(cx, I32))
                }
            }
            18 if self.limits.traps && self.chance(5) => Stmt::Unreachable,
            19 if self.limits.exceptions && self.chance(60) => {
                if self.chance(25) {
                    Stmt::Throw(self.expr(cx, I32))
                } else if cx.nesting <= self.limits.max_nesting {
                    self.try_stmt(cx)
                } else {
                    Stmt::Drop(self.expr(cx, I32))
                }
            }
            _ => {
                let ty = self.ty();
                Stmt::Log(ty, self.expr(cx, ty))
            }
        }
    }

    /// A `try_table` catching `$exc`, with a handler after it.
    fn try_stmt(&mut self, cx: &mut Cx) -> Stmt {
        let done = self.label();
        cx.nesting += 1;
        cx.labels.push(Label {
            id: done,
            types: Vec::new(),
            counter: None,
        });
        let body = self.stmts(cx);
        let sink = self.sink(cx, I32);
        let handler = self.stmts(cx);
        cx.labels.pop();
        cx.nesting -= 1;
        Stmt::Try {
            done,
            body,
            sink,
            handler,
        }
    }

    /// `br`, `br_if` or `br_table` to enclosing blocks and ifs.
    fn branch(&mut self, cx: &mut Cx) -> Stmt {
        let targets: Vec<Label> = cx
            .labels
            .iter()
            .filter(|l| l.counter.is_none())
            .cloned()
            .collect();
        if targets.is_empty() {
            let ty = self.ty();
            return Stmt::Log(ty, self.expr(cx, ty));
        }
        let target = targets[self.pick(targets.len())].clone();
        let values = self.args(cx, &target.types);
        match self.pick(4) {
            0 | 1 => {
                let cond = self.expr(cx, I32);
                let sinks = self.sinks(cx, &target.types);
                Stmt::BrIf {
                    label: target.id,
                    values,
                    cond,
                    sinks,
                }
            }
            2 => {
                let same: Vec<u32> = targets
                    .iter()
                    .filter(|l| l.types == target.types)
                    .map(|l| l.id)
                    .collect();
                let n = 1 + self.pick(4);
                let labels = (0..n).map(|_| same[self.pick(same.len())]).collect();
                let index = self.expr(cx, I32);
                Stmt::BrTable {
                    labels,
                    default: target.id,
                    values,
                    index,
                }
            }
            _ => Stmt::Br {
                label: target.id,
                values,
            },
        }
    }

    fn continue_loop(&mut self, cx: &mut Cx) -> Stmt {
        let loops: Vec<Label> = cx
            .labels
            .iter()
            .filter(|l| l.counter.is_some())
            .cloned()
            .collect();
        if loops.is_empty() {
            let ty = self.ty();
            return Stmt::Log(ty, self.expr(cx, ty));
        }
        let target = loops[self.pick(loops.len())].clone();
        let args = self.args(cx, &target.types);
        let sinks = self.sinks(cx, &target.types);
        Stmt::Continue {
            label: target.id,
            counter: target.counter.unwrap(),
            args,
            sinks,
        }
    }

    fn type_index(&mut self, params: &[Ty], results: &[Ty]) -> usize {
        if let Some(i) = self
            .types
            .iter()
            .position(|(p, r)| p == params && r == results)
        {
            return i;
        }
        self.types.push((params.to_vec(), results.to_vec()));
        self.types.len() - 1
    }
}

/// Generate a program (and the calls to make) from fuzzer bytes.
pub fn generate(u: &mut Unstructured, limits: Limits) -> Program {
    let mut g = Gen {
        u,
        limits,
        budget: limits.budget,
        next_label: 0,
        funcs: Vec::new(),
        types: Vec::new(),
        globals: Vec::new(),
        table: Vec::new(),
    };
    // Signatures first, so any function can call any other.
    let nfuncs = 1 + g.pick(limits.max_funcs);
    for i in 0..=nfuncs {
        let between = i == nfuncs;
        let (params, results) = if between {
            (Vec::new(), Vec::new())
        } else {
            (g.types(3), g.types(2))
        };
        let ty = g.type_index(&params, &results);
        g.funcs.push(Func {
            params,
            results,
            locals: Vec::new(),
            body: Vec::new(),
            outputs: Vec::new(),
            ty,
            between,
        });
    }
    let slots = g.pick(6);
    for _ in 0..slots {
        let f = g.pick(nfuncs);
        g.table.push(f);
    }
    for f in 0..g.funcs.len() {
        // Later functions get what is left of the budget; keep some for each.
        let share = (g.budget / (g.funcs.len() - f) as i32).max(8);
        let saved = g.budget - share;
        g.budget = share;
        let between = g.funcs[f].between;
        let mut cx = Cx {
            func: f,
            locals: std::iter::once(I32)
                .chain(g.funcs[f].params.iter().copied())
                .collect(),
            reserved: Vec::new(),
            labels: Vec::new(),
            nesting: 0,
            results: g.funcs[f].results.clone(),
            pure_code: between && !limits.reentrant,
        };
        let body = g.stmts(&mut cx);
        let more = g.stmts(&mut cx);
        let body: Vec<Stmt> = body.into_iter().chain(more).collect();
        let results = cx.results.clone();
        let outputs = g.args(&mut cx, &results);
        let nparams = 1 + g.funcs[f].params.len();
        let func = &mut g.funcs[f];
        func.locals = cx.locals[nparams..].to_vec();
        func.body = body;
        func.outputs = outputs;
        g.budget += saved.max(0);
    }
    // Calls: one to three, mostly of the last function (which tends to call the others).
    let mut calls = Vec::new();
    let ncalls = 1 + g.pick(3);
    for c in 0..ncalls {
        let func = if c == 0 { nfuncs - 1 } else { g.pick(nfuncs) };
        let depth = 1 + g.pick(3) as i32;
        let mut args = vec![Value::I32(depth)];
        for &t in &g.funcs[func].params.clone() {
            args.push(match g.constant(t) {
                Expr::Const(I32, b, _) => Value::I32(b as i32),
                Expr::Const(I64, b, _) => Value::I64(b as i64),
                Expr::Const(F32, b, _) => Value::F32(b as u32),
                Expr::Const(F64, b, _) => Value::F64(b),
                Expr::Const(V128, lo, hi) => Value::V128((hi as u128) << 64 | lo as u128),
                _ => unreachable!(),
            });
        }
        calls.push(Call {
            export: format!("f{func}"),
            args,
        });
    }
    Program {
        funcs: g.funcs,
        types: g.types,
        globals: g.globals,
        table: g.table,
        reentrant: limits.reentrant,
        exceptions: limits.exceptions,
        calls,
    }
}

// ---------------------------------------------------------------------------------------------
// Printing.

fn const_text(ty: Ty, bits: u64, high: u64) -> String {
    match ty {
        I32 => format!("i32.const {}", bits as u32 as i32),
        I64 => format!("i64.const {}", bits as i64),
        F32 => format!("f32.const {}", float_text(bits & 0xffff_ffff, true)),
        F64 => format!("f64.const {}", float_text(bits, false)),
        V128 => format!("v128.const i64x2 {} {}", bits as i64, high as i64),
    }
}

/// A float literal that parses back to exactly these bits: hex floats are exact; NaNs keep
/// their payload.
fn float_text(bits: u64, single: bool) -> String {
    let (sign_bit, mant_bits, exp_bits, bias, digits, shift) = if single {
        (
            1u64 << 31,
            bits & 0x7f_ffff,
            (bits >> 23) & 0xff,
            127i64,
            6usize,
            1,
        )
    } else {
        (
            1u64 << 63,
            bits & 0xf_ffff_ffff_ffff,
            (bits >> 52) & 0x7ff,
            1023i64,
            13usize,
            0,
        )
    };
    let sign = if bits & sign_bit != 0 { "-" } else { "" };
    let max_exp = if single { 0xff } else { 0x7ff };
    let mant = mant_bits << shift; // whole hex digits
    if exp_bits == max_exp {
        return if mant_bits == 0 {
            format!("{sign}inf")
        } else {
            format!("{sign}nan:{mant_bits:#x}")
        };
    }
    if exp_bits == 0 {
        if mant_bits == 0 {
            return format!("{sign}0x0p+0");
        }
        return format!("{sign}0x0.{mant:0digits$x}p{}", 1 - bias);
    }
    format!("{sign}0x1.{mant:0digits$x}p{}", exp_bits as i64 - bias)
}

struct Printer<'p> {
    prog: &'p Program,
    out: String,
    indent: usize,
}

impl Printer<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn local_name(&self, func: &Func, i: u32) -> String {
        let i = i as usize;
        if i == 0 {
            "$d".into()
        } else if i <= func.params.len() {
            format!("$p{}", i - 1)
        } else {
            format!("$l{}", i - 1 - func.params.len())
        }
    }

    fn depth_arg(&mut self) {
        self.line("local.get $d");
        self.line("i32.const 1");
        self.line("i32.sub");
    }

    fn expr(&mut self, func: &Func, e: &Expr) {
        match e {
            Expr::Const(ty, bits, high) => self.line(&const_text(*ty, *bits, *high)),
            Expr::Get(l) => self.line(&format!("local.get {}", self.local_name(func, *l))),
            Expr::GlobalGet(g) => self.line(&format!("global.get $g{g}")),
            Expr::Load { op, addr, offset } => {
                self.expr(func, addr);
                self.line(&format!("i32.const {ADDRESS_MASK}"));
                self.line("i32.and");
                self.line(&format!("{op} offset={offset} align=1"));
            }
            Expr::Op { op, args } => {
                for a in args {
                    self.expr(func, a);
                }
                self.line(op.text);
            }
            Expr::Select(a, b, c) => {
                self.expr(func, a);
                self.expr(func, b);
                self.expr(func, c);
                self.line("select");
            }
            Expr::Tee(l, e) => {
                self.expr(func, e);
                self.line(&format!("local.tee {}", self.local_name(func, *l)));
            }
            Expr::Call { func: f, args } => self.call(func, *f, args, "call"),
            Expr::Import { import, args } => self.import(func, *import, args),
            Expr::CallIndirect {
                func_ty,
                args,
                slot,
            } => self.call_indirect(func, *func_ty, args, slot, "call_indirect"),
            Expr::Block(b) => self.block(func, b),
        }
    }

    fn call(&mut self, func: &Func, callee: usize, args: &[Expr], instr: &str) {
        self.depth_arg();
        for a in args {
            self.expr(func, a);
        }
        self.line(&format!("{instr} $f{callee}"));
    }

    fn import(&mut self, func: &Func, import: usize, args: &[Expr]) {
        for a in args {
            self.expr(func, a);
        }
        self.line(&format!("call ${}", IMPORTS[import].name));
    }

    fn call_indirect(&mut self, func: &Func, ty: usize, args: &[Expr], slot: &Expr, instr: &str) {
        self.depth_arg();
        for a in args {
            self.expr(func, a);
        }
        self.expr(func, slot);
        self.line(&format!("{instr} (type $t{ty})"));
    }

    fn sinks(&mut self, func: &Func, sinks: &[(Sink, Ty)]) {
        // Top of the stack first.
        for (sink, ty) in sinks {
            match sink {
                Sink::Drop => self.line("drop"),
                Sink::Set(l) => self.line(&format!("local.set {}", self.local_name(func, *l))),
                Sink::GlobalSet(g) => self.line(&format!("global.set $g{g}")),
                Sink::Log => self.line(&format!("call $log_{}", ty.name())),
            }
        }
    }

    fn sig(params: &[Ty], results: &[Ty]) -> String {
        let mut s = String::new();
        if !params.is_empty() {
            s.push_str(" (param");
            for p in params {
                s.push(' ');
                s.push_str(p.name());
            }
            s.push(')');
        }
        if !results.is_empty() {
            s.push_str(" (result");
            for r in results {
                s.push(' ');
                s.push_str(r.name());
            }
            s.push(')');
        }
        s
    }

    fn tail(&mut self, func: &Func, tail: &Tail) {
        if tail.keep {
            return;
        }
        self.sinks(func, &tail.sinks);
        for o in &tail.outputs {
            self.expr(func, o);
        }
    }

    fn block(&mut self, func: &Func, b: &Block) {
        if let BlockKind::Loop { counter, trips } = &b.kind {
            self.line(&format!("i32.const {trips}"));
            self.line(&format!("local.set {}", self.local_name(func, *counter)));
        }
        for i in &b.inputs {
            self.expr(func, i);
        }
        let keyword = match &b.kind {
            BlockKind::Block => "block",
            BlockKind::Loop { .. } => "loop",
            BlockKind::If { cond } => {
                self.expr(func, cond);
                "if"
            }
        };
        self.line(&format!(
            "{keyword} $b{}{}",
            b.label,
            Self::sig(&b.params, &b.results)
        ));
        self.indent += 1;
        self.stmts(func, &b.body);
        self.tail(func, &b.tail);
        self.indent -= 1;
        if let Some((body, tail)) = &b.else_arm {
            self.line("else");
            self.indent += 1;
            self.stmts(func, body);
            self.tail(func, tail);
            self.indent -= 1;
        }
        self.line("end");
    }

    fn stmts(&mut self, func: &Func, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(func, s);
        }
    }

    fn stmt(&mut self, func: &Func, s: &Stmt) {
        match s {
            Stmt::Set(l, e) => {
                self.expr(func, e);
                self.line(&format!("local.set {}", self.local_name(func, *l)));
            }
            Stmt::GlobalSet(g, e) => {
                self.expr(func, e);
                self.line(&format!("global.set $g{g}"));
            }
            Stmt::Store {
                op,
                addr,
                offset,
                value,
            } => {
                self.expr(func, addr);
                self.line(&format!("i32.const {ADDRESS_MASK}"));
                self.line("i32.and");
                self.expr(func, value);
                self.line(&format!("{op} offset={offset} align=1"));
            }
            Stmt::Log(ty, e) => {
                self.expr(func, e);
                self.line(&format!("call $log_{}", ty.name()));
            }
            Stmt::Drop(e) => {
                self.expr(func, e);
                self.line("drop");
            }
            Stmt::Multi { src, sinks } => {
                match src {
                    Multi::Block(b) => self.block(func, b),
                    Multi::Call { func: f, args } => self.call(func, *f, args, "call"),
                    Multi::Import { import, args } => self.import(func, *import, args),
                    Multi::CallIndirect {
                        func_ty,
                        args,
                        slot,
                    } => self.call_indirect(func, *func_ty, args, slot, "call_indirect"),
                }
                self.sinks(func, sinks);
            }
            Stmt::Br { label, values } => {
                for v in values {
                    self.expr(func, v);
                }
                self.line(&format!("br $b{label}"));
            }
            Stmt::BrIf {
                label,
                values,
                cond,
                sinks,
            } => {
                for v in values {
                    self.expr(func, v);
                }
                self.expr(func, cond);
                self.line(&format!("br_if $b{label}"));
                self.sinks(func, sinks);
            }
            Stmt::BrTable {
                labels,
                default,
                values,
                index,
            } => {
                for v in values {
                    self.expr(func, v);
                }
                self.expr(func, index);
                let mut text = "br_table".to_string();
                for l in labels {
                    let _ = write!(text, " $b{l}");
                }
                let _ = write!(text, " $b{default}");
                self.line(&text);
            }
            Stmt::Continue {
                label,
                counter,
                args,
                sinks,
            } => {
                for a in args {
                    self.expr(func, a);
                }
                let c = self.local_name(func, *counter);
                self.line(&format!("local.get {c}"));
                self.line("i32.const 1");
                self.line("i32.sub");
                self.line(&format!("local.tee {c}"));
                // `> 0`, not `!= 0`: a second continue in the same iteration takes the
                // counter below zero, and it must not loop on.
                self.line("i32.const 0");
                self.line("i32.gt_s");
                self.line(&format!("br_if $b{label}"));
                self.sinks(func, sinks);
            }
            Stmt::Return(values) => {
                for v in values {
                    self.expr(func, v);
                }
                self.line("return");
            }
            Stmt::ReturnCall { func: f, args } => self.call(func, *f, args, "return_call"),
            Stmt::ReturnCallIndirect {
                func_ty,
                args,
                slot,
            } => self.call_indirect(func, *func_ty, args, slot, "return_call_indirect"),
            Stmt::Unreachable => self.line("unreachable"),
            Stmt::Throw(value) => {
                self.expr(func, value);
                self.line("throw $exc");
            }
            Stmt::Try {
                done,
                body,
                sink,
                handler,
            } => {
                self.line(&format!("block $b{done}"));
                self.indent += 1;
                self.line(&format!("block $h{done} (result i32)"));
                self.indent += 1;
                self.line(&format!("try_table (catch $exc $h{done})"));
                self.indent += 1;
                self.stmts(func, body);
                self.indent -= 1;
                self.line("end");
                self.line(&format!("br $b{done}"));
                self.indent -= 1;
                self.line("end");
                self.sinks(func, &[(*sink, I32)]);
                self.stmts(func, handler);
                self.indent -= 1;
                self.line("end");
            }
        }
    }
}

impl Program {
    /// The program as WAT text (names: `$f<i>` functions, `$d`/`$p<i>`/`$l<i>` locals,
    /// `$b<i>` labels, `$g<i>` globals, `$t<i>` types).
    pub fn to_wat(&self) -> String {
        let mut p = Printer {
            prog: self,
            out: String::new(),
            indent: 0,
        };
        p.line("(module");
        p.indent += 1;
        for (i, (params, results)) in self.types.iter().enumerate() {
            let mut all = vec![I32];
            all.extend(params);
            p.line(&format!(
                "(type $t{i} (func{}))",
                Printer::sig(&all, results)
            ));
        }
        for import in IMPORTS {
            p.line(&format!(
                "(import \"env\" \"{0}\" (func ${0}{1}))",
                import.name,
                Printer::sig(import.params, import.results)
            ));
        }
        if self.exceptions {
            p.line("(tag $exc (param i32))");
        }
        p.line("(memory (export \"memory\") 1)");
        p.line("(data (i32.const 0) \"\\01\\02\\03\\04\\05\\06\\07\\08\\f0\\e1\\d2\\c3\\b4\\a5\\96\\87asyncify\\00\\ff\\7f\\80\")");
        for (i, (ty, bits)) in self.globals.iter().enumerate() {
            let init = const_text(*ty, *bits, *bits);
            p.line(&format!(
                "(global $g{i} (export \"g{i}\") (mut {}) ({init}))",
                ty.name()
            ));
        }
        if !self.table.is_empty() {
            let mut elems = String::new();
            for f in &self.table {
                let _ = write!(elems, " $f{f}");
            }
            p.line(&format!("(table $table {} funcref)", self.table.len()));
            p.line(&format!("(elem (table $table) (i32.const 0) func{elems})"));
        }
        for (i, f) in self.funcs.iter().enumerate() {
            let export = if f.between {
                "between".to_string()
            } else {
                format!("f{i}")
            };
            let mut head = format!(
                "(func $f{i} (export \"{export}\") (type $t{}) (param $d i32)",
                f.ty
            );
            for (j, t) in f.params.iter().enumerate() {
                let _ = write!(head, " (param $p{j} {})", t.name());
            }
            if !f.results.is_empty() {
                head.push_str(&Printer::sig(&[], &f.results));
            }
            p.line(&head);
            p.indent += 1;
            for (j, t) in f.locals.iter().enumerate() {
                p.line(&format!("(local $l{j} {})", t.name()));
            }
            // Depth guard: at 0, return zeros.
            p.line("local.get $d");
            p.line("i32.eqz");
            p.line("if");
            p.indent += 1;
            for r in &f.results {
                p.line(&const_text(*r, 0, 0));
            }
            p.line("return");
            p.indent -= 1;
            p.line("end");
            p.stmts(f, &f.body);
            for o in &f.outputs {
                p.expr(f, o);
            }
            p.indent -= 1;
            p.line(")");
        }
        p.indent -= 1;
        p.line(")");
        p.out
    }

    /// The program as a binary module.
    pub fn to_wasm(&self) -> Result<Vec<u8>, String> {
        wat::parse_str(self.to_wat()).map_err(|e| format!("{e}\n{}", self.to_wat()))
    }

    /// Whether any call goes through the table.
    pub fn uses_table(&self) -> bool {
        self.to_wat().contains("call_indirect")
    }

    /// Smaller variants of this program, for shrinking a failure: each drops one statement,
    /// replaces one block or call with a constant, or drops one call of the host.
    pub fn shrink_candidates(&self) -> Vec<Program> {
        let mut out = Vec::new();
        if self.calls.len() > 1 {
            for i in 0..self.calls.len() {
                let mut p = self.clone();
                p.calls.remove(i);
                out.push(p);
            }
        }
        // Big steps first: a function's whole body, then half of its top-level statements.
        for f in 0..self.funcs.len() {
            let body = &self.funcs[f].body;
            if !body.is_empty() {
                let mut p = self.clone();
                p.funcs[f].body.clear();
                out.push(p);
            }
            if body.len() >= 4 {
                let half = body.len() / 2;
                let mut p = self.clone();
                p.funcs[f].body.truncate(half);
                out.push(p);
                let mut p = self.clone();
                p.funcs[f].body.drain(..half);
                out.push(p);
            }
        }
        for f in 0..self.funcs.len() {
            let count = count_stmts(&self.funcs[f].body);
            for k in 0..count {
                let mut p = self.clone();
                let mut n = k;
                remove_stmt(&mut p.funcs[f].body, &mut n);
                out.push(p);
            }
            let exprs = count_exprs_in_func(&self.funcs[f]);
            for k in 0..exprs {
                let mut p = self.clone();
                let mut n = k;
                if simplify_expr_in_func(&mut p.funcs[f], &mut n) {
                    out.push(p);
                }
            }
        }
        out
    }
}

fn count_stmts(stmts: &[Stmt]) -> usize {
    stmts
        .iter()
        .map(|s| {
            1 + match s {
                Stmt::Multi {
                    src: Multi::Block(b),
                    ..
                } => block_stmts(b),
                Stmt::Try { body, handler, .. } => count_stmts(body) + count_stmts(handler),
                _ => 0,
            }
        })
        .sum()
}

fn block_stmts(b: &Block) -> usize {
    count_stmts(&b.body) + b.else_arm.as_ref().map_or(0, |(s, _)| count_stmts(s))
}

/// Remove the `n`-th statement in pre-order. Returns true once removed.
fn remove_stmt(stmts: &mut Vec<Stmt>, n: &mut usize) -> bool {
    let mut i = 0;
    while i < stmts.len() {
        if *n == 0 {
            stmts.remove(i);
            return true;
        }
        *n -= 1;
        if let Stmt::Multi {
            src: Multi::Block(b),
            ..
        } = &mut stmts[i]
        {
            if remove_stmt(&mut b.body, n) {
                return true;
            }
            if let Some((s, _)) = &mut b.else_arm
                && remove_stmt(s, n)
            {
                return true;
            }
        }
        if let Stmt::Try { body, handler, .. } = &mut stmts[i]
            && (remove_stmt(body, n) || remove_stmt(handler, n))
        {
            return true;
        }
        i += 1;
    }
    false
}

fn count_exprs_in_func(f: &Func) -> usize {
    let mut n = 0;
    visit_func_exprs(&mut f.clone(), &mut |_| {
        n += 1;
        false
    });
    n
}

/// Replace the `n`-th non-trivial expression (call, import call, block, operator) with a
/// constant of its type, where the type is known without context.
fn simplify_expr_in_func(f: &mut Func, n: &mut usize) -> bool {
    let mut done = false;
    visit_func_exprs(f, &mut |e| {
        if done {
            return false;
        }
        if *n == 0 {
            done = true;
            let ty = match e {
                Expr::Op { op, .. } => Some(op.result),
                Expr::Block(b) => Some(b.results[0]),
                Expr::Import { import, .. } => Some(IMPORTS[*import].results[0]),
                Expr::Load { op, .. } => LOADS.iter().find(|l| l.0 == *op).map(|l| l.1),
                _ => None,
            };
            if let Some(ty) = ty {
                *e = Expr::Const(ty, 1, 0);
                return true;
            }
            return false;
        }
        *n -= 1;
        false
    });
    done
}

/// Visit every expression of a function (pre-order); the visitor returns true if it replaced
/// the expression (then its children are not visited).
fn visit_func_exprs(f: &mut Func, visit: &mut dyn FnMut(&mut Expr) -> bool) {
    for s in &mut f.body {
        visit_stmt(s, visit);
    }
    for o in &mut f.outputs {
        visit_expr(o, visit);
    }
}

fn visit_stmt(s: &mut Stmt, visit: &mut dyn FnMut(&mut Expr) -> bool) {
    let exprs: Vec<&mut Expr> = match s {
        Stmt::Set(_, e)
        | Stmt::GlobalSet(_, e)
        | Stmt::Log(_, e)
        | Stmt::Drop(e)
        | Stmt::Throw(e) => vec![e],
        Stmt::Try { body, handler, .. } => {
            for s in body.iter_mut().chain(handler.iter_mut()) {
                visit_stmt(s, visit);
            }
            vec![]
        }
        Stmt::Store { addr, value, .. } => vec![addr, value],
        Stmt::Multi { src, .. } => match src {
            Multi::Block(b) => {
                visit_block(b, visit);
                vec![]
            }
            Multi::Call { args, .. } | Multi::Import { args, .. } => args.iter_mut().collect(),
            Multi::CallIndirect { args, slot, .. } => {
                let mut v: Vec<&mut Expr> = args.iter_mut().collect();
                v.push(slot);
                v
            }
        },
        Stmt::Br { values, .. } | Stmt::Return(values) => values.iter_mut().collect(),
        Stmt::BrIf { values, cond, .. } => {
            let mut v: Vec<&mut Expr> = values.iter_mut().collect();
            v.push(cond);
            v
        }
        Stmt::BrTable { values, index, .. } => {
            let mut v: Vec<&mut Expr> = values.iter_mut().collect();
            v.push(index);
            v
        }
        Stmt::Continue { args, .. } | Stmt::ReturnCall { args, .. } => args.iter_mut().collect(),
        Stmt::ReturnCallIndirect { args, slot, .. } => {
            let mut v: Vec<&mut Expr> = args.iter_mut().collect();
            v.push(slot);
            v
        }
        Stmt::Unreachable => vec![],
    };
    for e in exprs {
        visit_expr(e, visit);
    }
}

fn visit_block(b: &mut Block, visit: &mut dyn FnMut(&mut Expr) -> bool) {
    for i in &mut b.inputs {
        visit_expr(i, visit);
    }
    if let BlockKind::If { cond } = &mut b.kind {
        visit_expr(cond, visit);
    }
    for s in &mut b.body {
        visit_stmt(s, visit);
    }
    for o in &mut b.tail.outputs {
        visit_expr(o, visit);
    }
    if let Some((body, tail)) = &mut b.else_arm {
        for s in body {
            visit_stmt(s, visit);
        }
        for o in &mut tail.outputs {
            visit_expr(o, visit);
        }
    }
}

fn visit_expr(e: &mut Expr, visit: &mut dyn FnMut(&mut Expr) -> bool) {
    if visit(e) {
        return;
    }
    match e {
        Expr::Const(..) | Expr::Get(_) | Expr::GlobalGet(_) => {}
        Expr::Load { addr, .. } => visit_expr(addr, visit),
        Expr::Op { args, .. } | Expr::Call { args, .. } | Expr::Import { args, .. } => {
            for a in args {
                visit_expr(a, visit);
            }
        }
        Expr::Select(a, b, c) => {
            visit_expr(a, visit);
            visit_expr(b, visit);
            visit_expr(c, visit);
        }
        Expr::Tee(_, e) => visit_expr(e, visit),
        Expr::CallIndirect { args, slot, .. } => {
            for a in args {
                visit_expr(a, visit);
            }
            visit_expr(slot, visit);
        }
        Expr::Block(b) => visit_block(b, visit),
    }
}
