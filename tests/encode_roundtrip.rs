//! Round trips through `asyncify::emit::encode`: parse a module with walrus, encode every
//! local function with the original indices, splice the new bodies into a copy of the input in
//! place of the old code section, validate, and compare each body's operators with the input's.
//!
//! The comparison allows what walrus changes on purpose: locals are renumbered (only a
//! consistent, type-preserving bijection is required, with parameters fixed), `nop`s vanish,
//! an empty `else` may be dropped, trivial `(type $t)` block types become inline ones, and
//! identical singleton types are merged, and block types are compared by signature. walrus
//! drops unreachable code, so the input's dead code is stripped the same way before comparing.

use asyncify::emit::encode::{EncodedFunction, encode_function};
use asyncify::emit::indices::Indices;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use walrus::FunctionKind;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{Encode, Instruction};
use wasmparser::{
    CompositeInnerType, FunctionBody, Operator, Parser, Payload, ValType, Validator, WasmFeatures,
};

// ---------------------------------------------------------------------------------------------
// Round-trip machinery
// ---------------------------------------------------------------------------------------------

/// What a round trip did.
#[derive(Debug, Default, Clone, Copy)]
struct Report {
    /// Local functions encoded.
    funcs: usize,
    /// Bodies whose operators were compared with the input's.
    compared: usize,
    /// Of those, bodies whose input had dead code (stripped before comparing).
    dead_code: usize,
    /// Operators compared.
    ops: usize,
}

impl std::ops::AddAssign for Report {
    fn add_assign(&mut self, other: Report) {
        self.funcs += other.funcs;
        self.compared += other.compared;
        self.dead_code += other.dead_code;
        self.ops += other.ops;
    }
}

/// Why a round trip did not happen.
#[derive(Debug)]
enum Skip {
    /// The input does not validate (with every feature on).
    Invalid(String),
    /// walrus rejected (or panicked on) the input.
    Walrus(String),
}

fn features() -> WasmFeatures {
    WasmFeatures::all()
}

fn validate(wasm: &[u8]) -> Result<(), String> {
    Validator::new_with_features(features())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Parse with walrus, catching walrus's panics on inputs it does not support.
fn walrus_parse(wasm: &[u8]) -> Result<(walrus::Module, asyncify::input::OriginalIds), Skip> {
    let wasm = wasm.to_vec();
    match std::panic::catch_unwind(move || asyncify::input::parse(&wasm)) {
        Ok(Ok(parsed)) => Ok(parsed),
        Ok(Err(e)) => Err(Skip::Walrus(format!("{e:?}"))),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Skip::Walrus(format!("walrus panicked: {msg}")))
        }
    }
}

/// Encode every local function of `wasm`, splice, validate and compare.
fn roundtrip(wasm: &[u8]) -> Result<Report, Skip> {
    validate(wasm).map_err(Skip::Invalid)?;
    let (module, ids) = walrus_parse(wasm)?;
    let mut indices = Indices::identity(&ids);

    let mut encoded: Vec<(EncodedFunction, usize)> = Vec::new();
    for &id in &ids.funcs {
        if let FunctionKind::Local(func) = &module.funcs.get(id).kind {
            encoded.push((
                encode_function(&module, func, &mut indices, Default::default()),
                func.args.len(),
            ));
        }
    }
    assert!(
        indices.new_types().is_empty(),
        "a round trip should need no new types, got {:?}",
        indices.new_types()
    );

    let output = splice(wasm, encoded.iter().map(|(f, _)| &f.function));
    if let Err(e) = validate(&output) {
        panic!(
            "re-encoded module does not validate: {e}\n--- output ---\n{}",
            wasmprinter::print_bytes(&output).unwrap_or_else(|e| e.to_string())
        );
    }

    // Compare bodies.
    let canon: Vec<u32> = ids
        .types
        .iter()
        .enumerate()
        .map(|(i, &id)| indices.existing_ty(id).unwrap_or(i as u32))
        .collect();
    let func_types = func_types(wasm);
    let by_signature = signature_classes(&func_types, &canon);
    let original = bodies(wasm);
    let new = bodies(&output);
    assert_eq!(original.len(), encoded.len());
    assert_eq!(new.len(), encoded.len());
    let mut report = Report {
        funcs: encoded.len(),
        ..Report::default()
    };
    for (i, ((orig, new), (_, params))) in original.iter().zip(&new).zip(&encoded).enumerate() {
        let mut canon = Canon {
            canon: &canon,
            func_types: &func_types,
            by_signature: &by_signature,
        };
        match compare(orig, new, *params as u32, &mut canon) {
            Ok((stripped, ops)) => {
                report.compared += 1;
                report.dead_code += usize::from(stripped);
                report.ops += ops;
            }
            Err(e) => panic!(
                "defined function {i}: {e}\n--- input ---\n{}\n--- output ---\n{}",
                print_func(wasm, i),
                print_func(&output, i),
            ),
        }
    }
    Ok(report)
}

/// Copy of `wasm` with the code section replaced by `bodies`.
fn splice<'a>(wasm: &[u8], bodies: impl Iterator<Item = &'a wasm_encoder::Function>) -> Vec<u8> {
    let mut code = wasm_encoder::CodeSection::new();
    for body in bodies {
        code.function(body);
    }
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.expect("input parses");
        match payload {
            Payload::CodeSectionStart { .. } => {
                module.section(&code);
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    module.finish()
}

fn bodies(wasm: &[u8]) -> Vec<FunctionBody<'_>> {
    Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p.expect("parses") {
            Payload::CodeSectionEntry(body) => Some(body),
            _ => None,
        })
        .collect()
}

/// `(params, results)` of every function type, by type index (`None` for other types).
type FuncTypes = Vec<Option<(Vec<ValType>, Vec<ValType>)>>;

fn func_types(wasm: &[u8]) -> FuncTypes {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::TypeSection(reader) = payload.expect("parses") {
            for group in reader {
                for sub in group.expect("parses").into_types() {
                    out.push(match &sub.composite_type.inner {
                        CompositeInnerType::Func(f) => {
                            Some((f.params().to_vec(), f.results().to_vec()))
                        }
                        _ => None,
                    });
                }
            }
        }
    }
    out
}

fn print_func(wasm: &[u8], defined_index: usize) -> String {
    let text = wasmprinter::print_bytes(wasm).unwrap_or_else(|e| e.to_string());
    // Show the whole module when small; otherwise just the requested function.
    if text.len() < 20_000 {
        return text;
    }
    let funcs: Vec<&str> = text.split("\n  (func ").skip(1).collect();
    let imported = text.matches("(import ").count(); // rough: imports come first
    funcs
        .get(defined_index)
        .or_else(|| funcs.get(defined_index + imported))
        .map(|f| format!("(func {}", f.chars().take(8000).collect::<String>()))
        .unwrap_or_else(|| "<function not found>".to_string())
}

/// Re-encoder that canonicalizes type indices the way walrus merges types, and rewrites
/// `(type $t)` block types whose signature is `[] -> []` or `[] -> [t]` to the inline forms.
struct Canon<'a> {
    canon: &'a [u32],
    func_types: &'a FuncTypes,
    /// For each function type, the first function type with the same signature (after
    /// `canon` is applied to the concrete types in it).
    by_signature: &'a [u32],
}

/// For each type index, the first function type index with the same canonical signature.
fn signature_classes(func_types: &FuncTypes, canon: &[u32]) -> Vec<u32> {
    fn canon_val(t: ValType, canon: &[u32]) -> ValType {
        use wasmparser::{HeapType, RefType, UnpackedIndex};
        let ValType::Ref(r) = t else { return t };
        let map = |i: u32| UnpackedIndex::Module(canon.get(i as usize).copied().unwrap_or(i));
        let heap = match r.heap_type() {
            HeapType::Concrete(UnpackedIndex::Module(i)) => HeapType::Concrete(map(i)),
            HeapType::Exact(UnpackedIndex::Module(i)) => HeapType::Exact(map(i)),
            other => other,
        };
        ValType::Ref(RefType::new(r.is_nullable(), heap).unwrap_or(r))
    }
    let mut first: HashMap<(Vec<ValType>, Vec<ValType>), u32> = HashMap::new();
    func_types
        .iter()
        .enumerate()
        .map(|(i, sig)| match sig {
            Some((params, results)) => {
                let key = (
                    params.iter().map(|&t| canon_val(t, canon)).collect(),
                    results.iter().map(|&t| canon_val(t, canon)).collect(),
                );
                *first.entry(key).or_insert(i as u32)
            }
            None => i as u32,
        })
        .collect()
}

impl Reencode for Canon<'_> {
    type Error = std::convert::Infallible;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError> {
        Ok(self.canon.get(ty as usize).copied().unwrap_or(ty))
    }

    fn block_type(
        &mut self,
        arg: wasmparser::BlockType,
    ) -> Result<wasm_encoder::BlockType, ReencodeError> {
        if let wasmparser::BlockType::FuncType(index) = arg
            && let Some(Some((params, results))) = self.func_types.get(index as usize)
        {
            if params.is_empty() && results.len() <= 1 {
                return Ok(match results.first() {
                    None => wasm_encoder::BlockType::Empty,
                    Some(&t) => wasm_encoder::BlockType::Result(self.val_type(t)?),
                });
            }
            // walrus finds block types by signature, so any type with the same one will do.
            return Ok(wasm_encoder::BlockType::FunctionType(
                self.by_signature[index as usize],
            ));
        }
        wasm_encoder::reencode::utils::block_type(self, arg)
    }
}

/// One normalized operator.
#[derive(Debug, PartialEq)]
enum Op {
    /// `local.get` (0), `local.set` (1), `local.tee` (2) of a local index.
    Local(u8, u32),
    /// Any other operator, encoded after canonicalization.
    Other(Vec<u8>),
}

fn ops<'a>(body: &FunctionBody<'a>) -> Vec<Operator<'a>> {
    let mut reader = body.get_operators_reader().expect("operators");
    let mut out = Vec::new();
    while !reader.eof() {
        out.push(reader.read().expect("operator"));
    }
    out
}

fn locals(body: &FunctionBody<'_>) -> Vec<ValType> {
    let mut out = Vec::new();
    for entry in body.get_locals_reader().expect("locals") {
        let (count, ty) = entry.expect("local");
        out.extend(std::iter::repeat_n(ty, count as usize));
    }
    out
}

fn opens_block(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. }
    )
}

/// The operators without the dead code walrus drops: everything after `unreachable`, `br`,
/// `br_table`, `return`, `throw`, `throw_ref` or `rethrow` up to the end of the enclosing
/// block (or its `else`/`catch`), nested constructs included. Code after `return_call*` is
/// kept, as walrus keeps it. Also says whether anything was dropped.
fn strip_dead<'a>(ops: &[Operator<'a>]) -> (Vec<Operator<'a>>, bool) {
    let mut out = Vec::with_capacity(ops.len());
    // Per open block: whether the rest of it is dead.
    let mut dead = vec![false];
    // Nesting depth inside a dead construct being skipped.
    let mut skipping = 0usize;
    let mut stripped = false;
    for op in ops {
        if skipping > 0 {
            if opens_block(op) {
                skipping += 1;
            } else if matches!(op, Operator::End | Operator::Delegate { .. }) {
                skipping -= 1;
            }
            continue;
        }
        match op {
            Operator::End | Operator::Delegate { .. } => {
                dead.pop();
            }
            Operator::Else | Operator::Catch { .. } | Operator::CatchAll => {
                if let Some(d) = dead.last_mut() {
                    *d = false;
                }
            }
            _ if *dead.last().unwrap_or(&false) => {
                stripped = true;
                if opens_block(op) {
                    skipping = 1;
                }
                continue;
            }
            _ if opens_block(op) => dead.push(false),
            Operator::Unreachable
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Rethrow { .. } => {
                if let Some(d) = dead.last_mut() {
                    *d = true;
                }
            }
            _ => {}
        }
        out.push(op.clone());
    }
    (out, stripped)
}

fn normalize(ops: &[Operator<'_>], canon: &mut Canon<'_>) -> Vec<Op> {
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let normalized = match op {
            Operator::Nop => continue,
            Operator::Else
                if matches!(
                    ops[i + 1..].iter().find(|op| !matches!(op, Operator::Nop)),
                    Some(Operator::End)
                ) =>
            {
                continue;
            }
            Operator::LocalGet { local_index } => Op::Local(0, *local_index),
            Operator::LocalSet { local_index } => Op::Local(1, *local_index),
            Operator::LocalTee { local_index } => Op::Local(2, *local_index),
            other => {
                let instr: Instruction<'_> = canon.instruction(other.clone()).expect("re-encodes");
                let mut bytes = Vec::new();
                instr.encode(&mut bytes);
                Op::Other(bytes)
            }
        };
        out.push(normalized);
    }
    out
}

/// Compare two bodies. Returns whether dead code had to be stripped from the original first,
/// and how many operators were compared.
fn compare(
    original: &FunctionBody<'_>,
    new: &FunctionBody<'_>,
    params: u32,
    canon: &mut Canon<'_>,
) -> Result<(bool, usize), String> {
    let (original_ops, stripped) = strip_dead(&ops(original));
    let new_ops = ops(new);
    let a = normalize(&original_ops, canon);
    let b = normalize(&new_ops, canon);
    let original_locals = locals(original);
    let new_locals = locals(new);

    let mut forward: HashMap<u32, u32> = HashMap::new();
    let mut backward: HashMap<u32, u32> = HashMap::new();
    let context = |i: usize| {
        let lo = i.saturating_sub(3);
        format!(
            "input ops {:?}\noutput ops {:?}",
            &original_ops[lo..(i + 3).min(original_ops.len())],
            &new_ops[lo.min(new_ops.len())..(i + 3).min(new_ops.len())]
        )
    };
    for (i, pair) in a.iter().zip(&b).enumerate() {
        match pair {
            (Op::Local(ka, la), Op::Local(kb, lb)) if ka == kb => {
                if la < &params || lb < &params {
                    if la != lb {
                        return Err(format!(
                            "op {i}: parameter {la} became local {lb}\n{}",
                            context(i)
                        ));
                    }
                    continue;
                }
                if *forward.entry(*la).or_insert(*lb) != *lb
                    || *backward.entry(*lb).or_insert(*la) != *la
                {
                    return Err(format!(
                        "op {i}: local {la} -> {lb} breaks the local mapping\n{}",
                        context(i)
                    ));
                }
                let ta = original_locals.get((la - params) as usize);
                let tb = new_locals.get((lb - params) as usize);
                if ta.is_none() || ta != tb {
                    return Err(format!(
                        "op {i}: local {la}: {ta:?} became local {lb}: {tb:?}\n{}",
                        context(i)
                    ));
                }
            }
            (x, y) if x == y => {}
            _ => return Err(format!("op {i} differs\n{}", context(i))),
        }
    }
    if a.len() != b.len() {
        return Err(format!(
            "{} normalized ops in the input, {} in the output",
            a.len(),
            b.len()
        ));
    }
    if new_locals.len() != backward.len() {
        return Err(format!(
            "output declares {} locals but uses {}",
            new_locals.len(),
            backward.len()
        ));
    }
    Ok((stripped, a.len()))
}

/// Round trip a WAT module that has no dead code.
#[track_caller]
fn check(wat: &str) -> Report {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let report = roundtrip(&wasm).unwrap_or_else(|skip| panic!("round trip skipped: {skip:?}"));
    assert!(report.funcs > 0, "no local functions");
    assert_eq!(report.compared, report.funcs, "{report:?}");
    assert_eq!(report.dead_code, 0, "test WAT should have no dead code");
    report
}

/// Encode and return the output operators of one defined function, for targeted checks.
fn output_ops_of(wat: &str, defined_index: usize) -> Vec<String> {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let (module, ids) = asyncify::input::parse(&wasm).expect("walrus parses");
    let mut indices = Indices::identity(&ids);
    let mut encoded = Vec::new();
    for &id in &ids.funcs {
        if let FunctionKind::Local(func) = &module.funcs.get(id).kind {
            encoded.push(encode_function(&module, func, &mut indices, Default::default()).function);
        }
    }
    let output = splice(&wasm, encoded.iter());
    validate(&output).expect("output validates");
    let bodies = bodies(&output);
    ops(&bodies[defined_index])
        .iter()
        .map(|op| format!("{op:?}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// WAT unit tests
// ---------------------------------------------------------------------------------------------

#[test]
fn branches_to_various_depths() {
    check(
        r#"(module
          (func $f (param i32) (result i32) (local i64 f32)
            block $a
              block $b
                loop $l
                  local.get 0
                  br_if $a
                  local.get 0
                  br_table $a $b $l 0 1 2 $b
                end
              end
              block $c (result i32)
                i32.const 1
                local.get 0
                br_if $c
                drop
                i32.const 3
                local.get 0
                br_if 2
                drop
                i32.const 2
              end
              drop
            end
            f32.const 1.5
            local.set 2
            i32.const 6
            local.get 0
            br_if 0
            drop
            i32.const 7)
          (func (result i32)
            i32.const 1
            br 0))"#,
    );
}

#[test]
fn if_with_and_without_else() {
    let wat = r#"(module
      (type $pp (func (param i32) (result i32)))
      (func (param i32) (result i32)
        local.get 0
        if
          i32.const 1
          drop
        end
        local.get 0
        if (result i32)
          i32.const 1
        else
          i32.const 2
        end
        local.get 0
        if (param i32) (result i32)
          i32.const 1
          i32.add
        end
        local.get 0
        if
          nop
        else
          i32.const 1
          drop
        end
        local.get 0
        if
          i32.const 1
          drop
        else
        end
        local.get 0
        if (type $pp)
          i32.const 1
          i32.add
        else
          i32.const 2
          i32.sub
        end)
    )"#;
    check(wat);
    // Only the `if`s whose alternative is not empty keep their `else`.
    let out = output_ops_of(wat, 0);
    assert_eq!(out.iter().filter(|o| *o == "Else").count(), 3, "{out:#?}");
}

#[test]
fn multi_value_blocks_and_loops_with_params() {
    check(
        r#"(module
          (func (param i32 i64) (result i32 i64)
            local.get 0
            local.get 1
            block (param i32 i64) (result i64 i32)
              local.set 1
              local.set 0
              local.get 1
              local.get 0
            end
            drop
            drop
            i32.const 10
            loop (param i32) (result i32)
              i32.const 1
              i32.sub
              local.tee 0
              local.get 0
              br_if 0
            end
            local.get 1
            block (param i32 i64) (result i32 i64)
              br 0
            end)
          (func (result f32 f64 i32)
            f32.const 1
            f64.const 2
            i32.const 3))"#,
    );
}

#[test]
fn try_table_catch_clauses() {
    check(
        r#"(module
          (tag $e0)
          (tag $e1 (param i32))
          (tag $e2 (param i32 i64))
          (func (param i32) (result i32)
            block $outer (result i32 exnref)
              block $h1 (result i32)
                block $h0
                  block $all (result exnref)
                    try_table (result i32)
                        (catch $e0 $h0) (catch $e1 $h1) (catch_ref $e1 $outer)
                        (catch_all_ref $all) (catch_all $h0)
                      local.get 0
                      if
                        throw $e0
                      end
                      local.get 0
                      throw $e1
                    end
                    return
                  end
                  throw_ref
                end
                i32.const 0
                return
              end
              return
            end
            drop
            drop
            block $p (result i32 i64)
              try_table (catch $e2 $p)
                i32.const 1
                i64.const 2
                throw $e2
              end
              unreachable
            end
            drop))"#,
    );
}

#[test]
fn legacy_exceptions() {
    check(
        r#"(module
          (tag $e0)
          (tag $e1 (param i32))
          (func $thrower (param i32)
            local.get 0
            if
              local.get 0
              throw $e1
            end
            throw $e0)
          (func (param i32) (result i32)
            try (result i32)
              local.get 0
              call $thrower
              i32.const 0
            catch $e1
              local.get 0
              br_if 0
              i32.const 1
              i32.add
            catch $e0
              local.get 0
              if
                rethrow 1
              end
              block
                try
                  local.get 0
                  call 0
                catch_all
                  local.get 0
                  br_if 1
                  rethrow 0
                end
              end
              i32.const 2
            catch_all
              block
                local.get 0
                br_if 0
                rethrow 1
              end
              i32.const 3
            end
            try (result i32)
              try
                local.get 0
                call $thrower
              delegate 0
              block
                try
                  i32.const 1
                  call $thrower
                delegate 1
                try
                  i32.const 2
                  call $thrower
                delegate 2
              end
              i32.const 4
            catch_all
              i32.const 5
            end
            i32.add
            try
              nop
            end
            try
              local.get 0
              call $thrower
            catch $e0
            end)
          (func (param i32)
            try
              local.get 0
              call $thrower
            delegate 0))"#,
    );
}

#[test]
fn simd() {
    check(
        r#"(module
          (memory 1)
          (func (param i32 v128) (result v128) (local v128)
            local.get 1
            local.get 1
            i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
            i32.const 7
            i32x4.replace_lane 3
            local.set 2
            local.get 0
            local.get 2
            v128.load8_lane offset=3 15
            local.set 2
            local.get 0
            local.get 2
            v128.load16_lane align=1 7
            local.set 2
            local.get 0
            local.get 2
            v128.load32_lane 3
            local.set 2
            local.get 0
            local.get 2
            v128.load64_lane offset=8 align=8 1
            local.set 2
            local.get 0
            local.get 2
            v128.store64_lane 0
            local.get 0
            local.get 2
            v128.store8_lane offset=1 9
            local.get 0
            v128.load32_splat
            local.get 0
            v128.load8x8_s offset=4
            i16x8.add_sat_s
            local.get 0
            v128.load64_zero
            local.get 1
            v128.bitselect
            local.get 2
            i8x16.swizzle
            i8x16.extract_lane_u 3
            i64.extend_i32_u
            i64x2.splat
            f32x4.extract_lane 1
            f32x4.splat
            v128.const i32x4 1 -2 0x7fffffff 0x80000000
            local.get 2
            f32x4.relaxed_madd
            i32x4.relaxed_trunc_f64x2_u_zero
            i16x8.extend_high_i8x16_u
            i32x4.extend_low_i16x8_s
            f64x2.promote_low_f32x4
            i32x4.trunc_sat_f64x2_s_zero
            v128.const i64x2 -1 1
            i16x8.relaxed_dot_i8x16_i7x16_s
            v128.const i64x2 3 4
            v128.const i64x2 5 6
            i32x4.relaxed_dot_i8x16_i7x16_add_s
            local.set 2
            local.get 2
            v128.any_true
            drop
            local.get 1
            local.get 0
            i8x16.shl
            local.get 1
            i64x2.extmul_high_i32x4_u
            i8x16.popcnt
            i64x2.bitmask
            i64.extend_i32_u
            i64x2.splat
            local.get 2
            i8x16.relaxed_swizzle
            local.get 2
            f64x2.relaxed_min
            i32x4.relaxed_trunc_f32x4_s
            local.get 1
            i16x8.q15mulr_sat_s
            local.get 1
            i16x8.narrow_i32x4_u
            local.get 1
            i32x4.dot_i16x8_s
            f32x4.demote_f64x2_zero
            f64x2.convert_low_i32x4_u
            i64x2.extend_low_i32x4_s
            i32x4.extadd_pairwise_i16x8_u
            local.get 1
            local.get 2
            i8x16.relaxed_laneselect
            local.get 1
            f64x2.pmax
            i64x2.all_true
            i32x4.splat
            local.get 1
            v128.andnot
            f64.const 2.5
            f64x2.replace_lane 1
            i64x2.extract_lane 0
            drop
            local.get 1
            i16x8.extract_lane_s 7
            i16x8.splat
            local.get 1
            i64x2.ne
            local.get 1
            f32x4.pmin
            f32x4.nearest))"#,
    );
}

#[test]
fn remaining_simd_and_atomic_ops() {
    check(
        r#"(module
          (memory 1 1 shared)
          (func (param i32 v128) (result v128)
            local.get 0
            i32.const 1
            i32.const 2
            i32.atomic.rmw.cmpxchg
            drop
            local.get 0
            i32.const 1
            i32.const 2
            i32.atomic.rmw8.cmpxchg_u
            drop
            local.get 0
            i64.const 1
            i64.const 2
            i64.atomic.rmw8.cmpxchg_u
            drop
            local.get 0
            i64.const 1
            i64.const 2
            i64.atomic.rmw16.cmpxchg_u offset=2
            drop
            local.get 0
            i64.const 1
            i64.const 2
            i64.atomic.rmw32.cmpxchg_u offset=4
            drop
            local.get 1
            local.get 1
            i8x16.lt_u
            local.get 1
            i8x16.gt_s
            local.get 1
            i8x16.le_s
            local.get 1
            i16x8.lt_u
            local.get 1
            i32x4.ge_u
            local.get 1
            i64x2.eq
            local.get 1
            i64x2.gt_s
            local.get 1
            i64x2.le_s
            local.get 1
            f64x2.lt
            local.get 1
            f64x2.gt
            local.get 1
            f64x2.ge
            local.get 1
            i16x8.sub_sat_s
            local.get 1
            i32x4.sub
            local.get 1
            local.get 1
            f32x4.relaxed_nmadd
            local.get 1
            local.get 1
            f64x2.relaxed_madd
            local.get 1
            local.get 1
            f64x2.relaxed_nmadd
            local.get 1
            local.get 1
            i32x4.relaxed_laneselect
            local.get 1
            local.get 1
            i64x2.relaxed_laneselect))"#,
    );
}

#[test]
fn atomics_and_multi_memory_64() {
    check(
        r#"(module
          (memory $a 1 1 shared)
          (memory $b i64 1)
          (func (param i32 i64) (result i64)
            local.get 0
            i32.const 1
            i32.atomic.rmw8.add_u
            drop
            local.get 0
            local.get 1
            i64.atomic.rmw32.xchg_u offset=8
            drop
            local.get 0
            i32.const 1
            i32.const 2
            i32.atomic.rmw16.cmpxchg_u
            drop
            local.get 0
            i64.const 0
            i64.const 1
            i64.atomic.rmw.cmpxchg
            drop
            local.get 0
            i32.atomic.load8_u
            drop
            local.get 0
            local.get 0
            i64.atomic.load32_u offset=4
            i64.atomic.store16 $a
            local.get 0
            i32.const 1
            memory.atomic.notify
            drop
            local.get 0
            i64.const 0
            i64.const -1
            memory.atomic.wait64
            drop
            local.get 0
            i32.const 0
            i64.const 5
            memory.atomic.wait32 offset=16
            drop
            atomic.fence
            local.get 1
            i64.load $b offset=0x100000000 align=4
            local.get 1
            i32.load8_s $b offset=3
            i64.extend_i32_s
            i64.add
            local.get 1
            f64.const 1.25
            f64.store $b align=2
            local.get 1
            i64.const 9
            i64.store32 $b offset=7 align=1
            i64.const 3
            memory.grow $b
            i64.add
            memory.size $b
            i64.add
            memory.size $a
            i64.extend_i32_u
            i64.add)
          (func (param i32) (result i32)
            local.get 0
            i32.load16_u align=1
            local.get 0
            i32.const 3
            i32.atomic.rmw.sub
            i32.add
            local.get 0
            i32.const 3
            i32.atomic.rmw8.xor_u offset=2
            i32.add))"#,
    );
}

#[test]
fn bulk_memory_tables_and_references() {
    check(
        r#"(module
          (memory $m0 1)
          (memory $m1 2)
          (table $t0 4 funcref)
          (table $t1 2 externref)
          (data $d "hello")
          (elem $e func $f $g)
          (elem $e2 externref (ref.null extern))
          (global $g0 (mut i32) (i32.const 0))
          (type $sig (func (param i32) (result i32)))
          (func $f (param i32) (result i32)
            i32.const 0
            i32.const 0
            i32.const 5
            memory.init $m1 $d
            data.drop $d
            i32.const 1
            i32.const 2
            i32.const 3
            memory.copy $m1 $m0
            i32.const 0
            i32.const 9
            i32.const 3
            memory.fill $m1
            i32.const 0
            i32.const 0
            i32.const 2
            table.init $t0 $e
            elem.drop $e
            i32.const 0
            i32.const 0
            i32.const 1
            table.copy $t0 $t0
            i32.const 0
            table.get $t1
            i32.const 1
            table.grow $t1
            drop
            table.size $t0
            global.set $g0
            i32.const 0
            ref.func $g
            i32.const 1
            table.fill $t0
            i32.const 1
            ref.null extern
            table.set $t1
            ref.null func
            ref.is_null
            global.get $g0
            i32.add
            local.get 0
            i32.const 1
            call_indirect $t0 (type $sig)
            i32.add)
          (func $g (param i32) (result i32)
            local.get 0
            ref.func $f
            ref.as_non_null
            call_ref $sig)
          (func (param i32 funcref externref) (result funcref)
            local.get 1
            local.get 1
            local.get 0
            select (result funcref)
            i32.const 1
            i32.const 2
            local.get 0
            select
            drop))"#,
    );
}

#[test]
fn tail_calls() {
    check(
        r#"(module
          (type $sig (func (param i32) (result i32)))
          (table 2 funcref)
          (elem (i32.const 0) func $a $b)
          (func $a (param i32) (result i32)
            local.get 0
            i32.eqz
            if
              i32.const 0
              return
            end
            local.get 0
            i32.const 1
            i32.sub
            return_call $b)
          (func $b (param i32) (result i32)
            local.get 0
            i32.const 0
            return_call_indirect (type $sig))
          (func (param i32) (result i32)
            local.get 0
            ref.func $a
            return_call_ref $sig))"#,
    );
}

#[test]
fn numeric_conversions_and_constants() {
    check(
        r#"(module
          (func (param f32 f64) (result i64)
            local.get 0
            i32.trunc_sat_f32_s
            i64.extend_i32_u
            local.get 1
            i64.trunc_sat_f64_u
            i64.add
            local.get 0
            i64.trunc_f32_u
            i64.add
            i64.extend32_s
            i32.const -1
            i32.extend8_s
            i32.extend16_s
            i64.extend_i32_s
            i64.rotl
            f32.const nan:0x200000
            f32.const -0
            f32.copysign
            f32.const inf
            f32.min
            f64.promote_f32
            local.get 1
            f64.const -nan:0x8000000000001
            f64.max
            f64.nearest
            f64.add
            i64.reinterpret_f64
            i64.xor
            i64.const 0x8000000000000000
            i64.const 64
            i64.div_u
            i64.ge_u
            i64.extend_i32_u
            f64.convert_i64_u
            f32.demote_f64
            i32.reinterpret_f32
            i32.popcnt
            i64.extend_i32_s)
          (func (result i64 i64)
            i64.const 1
            i64.const 2
            i64.const 3
            i64.const 4
            i64.add128
            i64.mul_wide_s
            i64.sub
            i64.const 0
            i64.const 0
            i64.const 0
            i64.sub128
            drop
            i64.const 5
            i64.mul_wide_u))"#,
    );
}

#[test]
fn gc_structs_arrays_and_casts() {
    check(
        r#"(module
          (rec
            (type $node (sub (struct (field $v (mut i32)) (field $next (ref null $node)))))
            (type $pair (sub $node (struct (field $v (mut i32)) (field $next (ref null $node))
                                          (field $b (mut i8))))))
          (type $bytes (array (mut i8)))
          (type $refs (array (mut (ref null $node))))
          (type $fn (func (param i32) (result i32)))
          (data $d "abcdef")
          (elem $e (ref null $node) (ref.null $node))
          (elem declare func $id)
          (func $id (type $fn) local.get 0)
          (func (param i32 anyref) (result i32) (local (ref null $node) (ref null $bytes))
            local.get 0
            ref.null $node
            struct.new $node
            local.tee 2
            struct.get $node $v
            local.get 2
            i32.const 5
            struct.set $node $v
            struct.new_default $pair
            i32.const 1
            struct.set $pair $b
            i32.const 0
            i32.const 4
            array.new_data $bytes $d
            local.tee 3
            i32.const 1
            array.get_s $bytes
            i32.add
            local.get 3
            i32.const 2
            array.get_u $bytes
            i32.add
            local.get 3
            i32.const 0
            i32.const 7
            i32.const 2
            array.fill $bytes
            local.get 3
            i32.const 0
            local.get 3
            i32.const 1
            i32.const 2
            array.copy $bytes $bytes
            local.get 3
            i32.const 0
            i32.const 0
            i32.const 1
            array.init_data $bytes $d
            local.get 3
            array.len
            i32.add
            i32.const 0
            i32.const 1
            array.new_elem $refs $e
            i32.const 0
            i32.const 0
            i32.const 1
            array.init_elem $refs $e
            i32.const 1
            i32.const 2
            array.new_fixed $bytes 2
            i32.const 0
            array.get_s $bytes
            i32.add
            i32.const 3
            array.new_default $refs
            drop
            i32.const 9
            ref.i31
            i31.get_s
            i32.add
            i32.const 9
            ref.i31
            i31.get_u
            i32.add
            local.get 1
            ref.test (ref $node)
            i32.add
            local.get 1
            ref.test (ref null i31)
            i32.add
            block $no (result anyref)
              block $yes (result (ref $node))
                local.get 1
                br_on_cast $yes anyref (ref $node)
                br_on_cast_fail $no anyref (ref null $pair)
                ref.cast (ref $pair)
                struct.get_s $pair $b
                drop
                ref.null none
                br $no
              end
              struct.get $node $v
              drop
              ref.null any
            end
            ref.cast (ref null eq)
            ref.null eq
            ref.eq
            i32.add
            block $nn
              local.get 2
              br_on_null $nn
              struct.get $node $v
              drop
            end
            block $n (result (ref $node))
              local.get 2
              br_on_non_null $n
              ref.null extern
              any.convert_extern
              extern.convert_any
              drop
              i32.const 0
              return
            end
            struct.get $node $v
            i32.add
            ref.func $id
            call_ref $fn
            struct.new_default $node
            i32.const 1
            array.new $refs
            i32.const 0
            array.get $refs
            ref.is_null
            i32.add
            i32.const 2
            array.new_default $bytes
            i32.const 0
            i32.const 3
            array.set $bytes
            ))"#,
    );
}

#[test]
fn unused_and_interleaved_locals() {
    // Locals that are never used vanish; the rest keep their relative order.
    let wat = r#"(module
      (func (param i32 i64) (result i64)
        (local $dead f32) (local $a i64) (local $dead2 v128) (local $b i32) (local $c i64)
        local.get 0
        local.set $b
        local.get 1
        local.set $c
        local.get $b
        i64.extend_i32_u
        local.tee $a
        local.get $c
        i64.add))"#;
    check(wat);
    let out = output_ops_of(wat, 0);
    assert_eq!(
        out,
        [
            "LocalGet { local_index: 0 }",
            "LocalSet { local_index: 3 }",
            "LocalGet { local_index: 1 }",
            "LocalSet { local_index: 4 }",
            "LocalGet { local_index: 3 }",
            "I64ExtendI32U",
            "LocalTee { local_index: 2 }",
            "LocalGet { local_index: 4 }",
            "I64Add",
            "End",
        ]
    );
}

/// The example in `src/emit/encode.rs`'s module documentation, byte for byte.
#[test]
fn doc_example_bytes() {
    let wasm = wat::parse_str(
        r#"(module
          (func (param i32) (local i64 i32)
            block
              local.get 0
              br_if 1
              local.get 2
              local.set 0
              i64.const 5
              local.set 1
            end))"#,
    )
    .unwrap();
    let (module, ids) = asyncify::input::parse(&wasm).unwrap();
    let mut indices = Indices::identity(&ids);
    let func = module.funcs.get(ids.funcs[0]).kind.unwrap_local();
    let encoded = encode_function(&module, func, &mut indices, Default::default());
    assert_eq!(encoded.locals.len(), 3);
    assert_eq!(encoded.locals[0], func.args[0]);
    assert_eq!(
        encoded.function.into_raw_body(),
        [
            0x02, 0x01, 0x7e, 0x01, 0x7f, // (local i64 i32)
            0x02, 0x40, // block
            0x20, 0x00, 0x0d, 0x01, // local.get 0  br_if 1
            0x20, 0x02, 0x21, 0x00, // local.get 2  local.set 0
            0x42, 0x05, 0x21, 0x01, // i64.const 5  local.set 1
            0x0b, 0x0b, // end end
        ]
    );
}

#[test]
fn dead_code_is_dropped_and_still_valid() {
    let wasm = wat::parse_str(
        r#"(module
          (func (param i32) (result i32)
            block (result i32)
              i32.const 1
              br 0
              i32.add
              loop
                i32.const 2
                local.get 0
                br_if 1
                drop
              end
            end
            return
            i32.const 4
            drop)
          (func (result i32)
            i32.const 1
            return_call 0
            i32.const 5))"#,
    )
    .unwrap();
    let report = roundtrip(&wasm).unwrap();
    assert_eq!(report.funcs, 2);
    assert_eq!(report.compared, 2);
    // walrus keeps the code after `return_call`, so only the first function loses code.
    assert_eq!(report.dead_code, 1);
}

#[test]
fn imports_shift_function_indices() {
    check(
        r#"(module
          (import "env" "f" (func $imp (param i32)))
          (import "env" "g" (global $ig i32))
          (import "env" "m" (memory 1))
          (import "env" "t" (tag $it (param i32)))
          (global $own (mut i32) (i32.const 0))
          (tag $own_tag)
          (func $a
            global.get $ig
            call $imp
            global.get $ig
            global.set $own
            call $b)
          (func $b
            block (result i32)
              try_table (catch $it 0)
                throw $own_tag
              end
              unreachable
            end
            drop))"#,
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    const DEPTH: usize = 20_000;
    let mut wat = String::from("(module (func (param i32) (result i32)\n");
    for _ in 0..DEPTH {
        wat.push_str("block\n");
    }
    wat.push_str(&format!("local.get 0\nbr_if {}\n", DEPTH - 1));
    wat.push_str("local.get 0\nbr_table 0 1 2 3 4 5\n");
    for _ in 0..DEPTH {
        wat.push_str("end\n");
    }
    wat.push_str("i32.const 1))");
    let wasm = wat::parse_str(&wat).unwrap();
    let (module, ids) = asyncify::input::parse(&wasm).unwrap();
    // Encode on a small stack: the encoder must not recurse per nesting level.
    let bytes = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            let mut indices = Indices::identity(&ids);
            let func = module.funcs.get(ids.funcs[0]).kind.unwrap_local();
            encode_function(&module, func, &mut indices, Default::default()).function
        })
        .unwrap()
        .join()
        .expect("encoding on a 128 KiB stack");
    let output = splice(&wasm, std::iter::once(&bytes));
    validate(&output).unwrap();
    let original = bodies(&wasm);
    let new = bodies(&output);
    assert_eq!(ops(&original[0]).len(), ops(&new[0]).len());
    assert_eq!(
        original[0].as_bytes().len(),
        new[0].as_bytes().len(),
        "same size"
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[derive(Debug, Default)]
struct Tally {
    report: Report,
    modules: usize,
    smith_failed: usize,
    walrus_skipped: usize,
    invalid: usize,
    walrus_reasons: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, wasm: &[u8]) {
        match roundtrip(wasm) {
            Ok(r) => {
                self.modules += 1;
                self.report += r;
            }
            Err(Skip::Walrus(msg)) => {
                self.walrus_skipped += 1;
                let key: String = msg.chars().take(90).collect();
                *self.walrus_reasons.entry(key).or_default() += 1;
            }
            Err(Skip::Invalid(msg)) => {
                self.invalid += 1;
                eprintln!("generated module is invalid: {msg}");
            }
        }
    }
}

#[test]
fn wasm_smith_modules() {
    const MODULES: u64 = 300;
    let start = Instant::now();
    let mut tally = Tally::default();
    for seed in 0..MODULES {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (seed + 1).wrapping_mul(0x1234_5678_9abc_def1));
        let len = 32768 + rng.below(65536);
        let data = rng.bytes(len);
        let mut u = arbitrary::Unstructured::new(&data);
        let mut config = wasm_smith::Config {
            simd_enabled: true,
            relaxed_simd_enabled: true,
            bulk_memory_enabled: true,
            reference_types_enabled: true,
            multi_value_enabled: true,
            tail_call_enabled: true,
            exceptions_enabled: true,
            memory64_enabled: true,
            threads_enabled: true,
            gc_enabled: seed % 3 != 0,
            wide_arithmetic_enabled: true,
            saturating_float_to_int_enabled: true,
            sign_extension_ops_enabled: true,
            max_memories: 3,
            max_tables: 3,
            min_funcs: 8,
            max_funcs: 20,
            max_instructions: 300,
            max_nesting_depth: 12,
            ..wasm_smith::Config::default()
        };
        // Every fourth module: no GC types at all, so walrus's simpler paths are exercised.
        if seed % 4 == 0 {
            config.gc_enabled = false;
        }
        match wasm_smith::Module::new(config, &mut u) {
            Ok(m) => tally.add(&m.to_bytes()),
            Err(_) => tally.smith_failed += 1,
        }
    }
    eprintln!(
        "wasm-smith: {} modules round-tripped ({:?}), {} skipped by walrus, {} not generated, \
         {} invalid, in {:?}",
        tally.modules,
        tally.report,
        tally.walrus_skipped,
        tally.smith_failed,
        tally.invalid,
        start.elapsed()
    );
    for (reason, n) in &tally.walrus_reasons {
        eprintln!("  walrus skip x{n}: {reason}");
    }
    assert_eq!(tally.invalid, 0);
    assert!(
        tally.modules >= MODULES as usize / 2,
        "too many skipped: {tally:?}"
    );
    assert_eq!(tally.report.compared, tally.report.funcs, "{tally:?}");
}

/// Random nested control flow with both exception-handling proposals, which wasm-smith does
/// not generate for the legacy proposal.
#[test]
fn random_control_flow_with_exceptions() {
    let start = Instant::now();
    let mut tally = Tally::default();
    for seed in 0..150u64 {
        let mut g = ControlGen {
            rng: Rng(0xdead_beef_cafe_f00d ^ (seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            out: String::new(),
            labels: Vec::new(),
            budget: 0,
        };
        let wat = g.module();
        let wasm = match wat::parse_str(&wat) {
            Ok(w) => w,
            Err(e) => panic!("generator produced bad WAT: {e}\n{wat}"),
        };
        if let Err(e) = validate(&wasm) {
            panic!("generator produced invalid wasm: {e}\n{wat}");
        }
        tally.add(&wasm);
    }
    eprintln!(
        "control-flow generator: {} modules ({:?}), {} skipped by walrus, in {:?}",
        tally.modules,
        tally.report,
        tally.walrus_skipped,
        start.elapsed()
    );
    for (reason, n) in &tally.walrus_reasons {
        eprintln!("  walrus skip x{n}: {reason}");
    }
    assert_eq!(tally.walrus_skipped, 0, "{tally:?}");
    assert_eq!(tally.report.compared, tally.report.funcs, "{tally:?}");
}

/// What a branch to a label must carry.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Arity {
    Nothing,
    I32,
    Exn,
}

struct Label {
    arity: Arity,
    /// A legacy `catch`/`catch_all` handler (a `rethrow` target).
    catch: bool,
}

struct ControlGen {
    rng: Rng,
    out: String,
    labels: Vec<Label>,
    budget: usize,
}

impl ControlGen {
    fn module(&mut self) -> String {
        let mut m = String::from(
            "(module\n(tag $e0)\n(tag $e1 (param i32))\n\
             (func $leaf (param i32) (result i32) local.get 0)\n",
        );
        for _ in 0..4 {
            self.out.clear();
            self.budget = 40;
            self.labels.clear();
            self.labels.push(Label {
                arity: Arity::I32,
                catch: false,
            });
            self.body(Arity::I32);
            m.push_str("(func (param i32) (result i32) (local i32 i64)\n");
            m.push_str(&self.out);
            m.push_str(")\n");
        }
        m.push(')');
        m
    }

    fn w(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn push_value(&mut self, arity: Arity) {
        match arity {
            Arity::Nothing => {}
            Arity::I32 => self.w("i32.const 7"),
            Arity::Exn => self.w("ref.null exn"),
        }
    }

    fn depth_of(&self, position: usize) -> usize {
        self.labels.len() - 1 - position
    }

    /// Statements, then either a value of `result` or a stack-polymorphic terminator.
    fn body(&mut self, result: Arity) {
        let n = self.rng.below(4);
        for _ in 0..n {
            self.statement();
        }
        if self.rng.chance(35) {
            self.terminator();
        } else {
            self.push_value(result);
        }
    }

    fn terminator(&mut self) {
        let rethrow_targets: Vec<usize> = (0..self.labels.len())
            .filter(|&i| self.labels[i].catch)
            .collect();
        match self.rng.below(8) {
            0 | 1 => {
                let target = self.rng.below(self.labels.len());
                self.push_value(self.labels[target].arity);
                let d = self.depth_of(target);
                self.w(&format!("br {d}"));
            }
            2 => {
                let target = self.rng.below(self.labels.len());
                let arity = self.labels[target].arity;
                let same: Vec<usize> = (0..self.labels.len())
                    .filter(|&i| self.labels[i].arity == arity)
                    .collect();
                self.push_value(arity);
                self.w("local.get 0");
                let mut line = String::from("br_table");
                for _ in 0..self.rng.below(4) + 1 {
                    let t = same[self.rng.below(same.len())];
                    line.push_str(&format!(" {}", self.depth_of(t)));
                }
                self.w(&line);
            }
            3 => self.w("i32.const 0\nreturn"),
            4 => self.w("throw $e0"),
            5 => self.w("i32.const 3\nthrow $e1"),
            6 if !rethrow_targets.is_empty() => {
                let t = rethrow_targets[self.rng.below(rethrow_targets.len())];
                let d = self.depth_of(t);
                self.w(&format!("rethrow {d}"));
            }
            _ => self.w("unreachable"),
        }
    }

    fn statement(&mut self) {
        if self.budget == 0 || self.labels.len() > 10 {
            self.w("local.get 0\nlocal.set 1");
            return;
        }
        self.budget -= 1;
        match self.rng.below(12) {
            0 => self.w("local.get 0\ncall $leaf\nlocal.set 1"),
            1 => self.w("nop"),
            2 => {
                let target = self.rng.below(self.labels.len());
                let arity = self.labels[target].arity;
                self.push_value(arity);
                self.w("local.get 0");
                let d = self.depth_of(target);
                self.w(&format!("br_if {d}"));
                if arity != Arity::Nothing {
                    self.w("drop");
                }
            }
            3 => {
                let arity = if self.rng.chance(50) {
                    Arity::I32
                } else {
                    Arity::Nothing
                };
                self.w(if arity == Arity::I32 {
                    "block (result i32)"
                } else {
                    "block"
                });
                self.nested(arity, arity);
                self.w("end");
                if arity == Arity::I32 {
                    self.w("drop");
                }
            }
            4 => {
                self.w("i32.const 1\nblock (param i32) (result i32)\ndrop");
                self.nested(Arity::I32, Arity::I32);
                self.w("end\ndrop");
            }
            5 => {
                if self.rng.chance(50) {
                    self.w("loop");
                    self.nested(Arity::Nothing, Arity::Nothing);
                    self.w("end");
                } else {
                    // Branches to this loop carry its parameter.
                    self.w("i32.const 1\nloop (param i32)\ndrop");
                    self.nested(Arity::I32, Arity::Nothing);
                    self.w("end");
                }
            }
            6 => {
                let arity = if self.rng.chance(50) {
                    Arity::I32
                } else {
                    Arity::Nothing
                };
                self.w("local.get 0");
                self.w(if arity == Arity::I32 {
                    "if (result i32)"
                } else {
                    "if"
                });
                self.nested(arity, arity);
                if arity == Arity::I32 || self.rng.chance(50) {
                    self.w("else");
                    self.nested(arity, arity);
                }
                self.w("end");
                if arity == Arity::I32 {
                    self.w("drop");
                }
            }
            7 | 8 => self.try_table(),
            9 => {
                // A label that receives an exnref.
                self.w("block (result exnref)");
                self.nested(Arity::Exn, Arity::Exn);
                self.w("end\ndrop");
            }
            _ => self.legacy_try(),
        }
    }

    /// A nested sequence with a new label.
    fn nested(&mut self, label: Arity, result: Arity) {
        self.labels.push(Label {
            arity: label,
            catch: false,
        });
        self.body(result);
        self.labels.pop();
    }

    fn try_table(&mut self) {
        let mut clauses = String::new();
        for _ in 0..self.rng.below(4) {
            let target = self.rng.below(self.labels.len());
            let d = self.depth_of(target);
            let clause = match (self.labels[target].arity, self.rng.chance(50)) {
                (Arity::Nothing, true) => format!(" (catch $e0 {d})"),
                (Arity::Nothing, false) => format!(" (catch_all {d})"),
                (Arity::I32, _) => format!(" (catch $e1 {d})"),
                (Arity::Exn, true) => format!(" (catch_ref $e0 {d})"),
                (Arity::Exn, false) => format!(" (catch_all_ref {d})"),
            };
            clauses.push_str(&clause);
        }
        let arity = if self.rng.chance(30) {
            Arity::I32
        } else {
            Arity::Nothing
        };
        let ty = if arity == Arity::I32 {
            " (result i32)"
        } else {
            ""
        };
        self.w(&format!("try_table{ty}{clauses}"));
        self.nested(arity, arity);
        self.w("end");
        if arity == Arity::I32 {
            self.w("drop");
        }
    }

    fn legacy_try(&mut self) {
        let arity = if self.rng.chance(30) {
            Arity::I32
        } else {
            Arity::Nothing
        };
        self.w(if arity == Arity::I32 {
            "try (result i32)"
        } else {
            "try"
        });
        self.nested(arity, arity);
        let form = self.rng.below(10);
        if form < 2 {
            // `delegate` to any label outside the try (the function label included).
            let d = self.rng.below(self.labels.len());
            self.w(&format!("delegate {d}"));
        } else {
            let handlers = if form < 3 { 0 } else { 1 + self.rng.below(3) };
            for h in 0..handlers {
                let last = h + 1 == handlers;
                match self.rng.below(3) {
                    0 if last => self.w("catch_all"),
                    1 => self.w("catch $e1\ndrop"),
                    _ => self.w("catch $e0"),
                }
                self.labels.push(Label { arity, catch: true });
                self.body(arity);
                self.labels.pop();
            }
            self.w("end");
        }
        if arity == Arity::I32 {
            self.w("drop");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Real-world module: C compiled by clang
// ---------------------------------------------------------------------------------------------

const CLANG: &str = "/usr/lib/llvm-16/bin/clang";
const WASM_LD: &str = "/usr/lib/llvm-16/bin/wasm-ld";

fn clang_available() -> bool {
    if Path::new(CLANG).exists() && Path::new(WASM_LD).exists() {
        return true;
    }
    if std::env::var("ASYNCIFY_SKIP_CLANG").as_deref() == Ok("1") {
        eprintln!("clang-16 not found at {CLANG}; skipped because ASYNCIFY_SKIP_CLANG=1");
        return false;
    }
    panic!(
        "clang-16 (with wasm-ld) is needed for this test but was not found at {CLANG}; \
         install clang-16, lld-16 and wasi-libc, or set ASYNCIFY_SKIP_CLANG=1 to skip"
    );
}

fn compile_c(source: &Path, flags: &[&str], out: &Path) -> Vec<u8> {
    let status = std::process::Command::new(CLANG)
        // Keep a `wasm-opt` on PATH out of the picture: clang runs it when it finds one.
        .env("PATH", "/usr/lib/llvm-16/bin")
        .args(["--target=wasm32-wasi", "--sysroot=/usr"])
        .arg(format!("-fuse-ld={WASM_LD}"))
        .args(["-nostartfiles", "-Wl,--no-entry", "-Wl,--export-all"])
        .args(flags)
        .arg(source)
        .arg("-o")
        .arg(out)
        .status()
        .expect("clang runs");
    assert!(
        status.success(),
        "clang failed on {} {flags:?}",
        source.display()
    );
    std::fs::read(out).expect("clang output")
}

#[test]
fn clang_compiled_c() {
    if !clang_available() {
        return;
    }
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/encode/sample.c");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("encode_roundtrip");
    std::fs::create_dir_all(&dir).unwrap();
    let variants: [(&str, &[&str]); 4] = [
        ("O2", &["-O2"]),
        ("O0", &["-O0"]),
        ("Oz", &["-Oz"]),
        (
            "O3-features",
            &[
                "-O3",
                "-msimd128",
                "-mbulk-memory",
                "-msign-ext",
                "-mnontrapping-fptoint",
                "-mtail-call",
                "-mmultivalue",
            ],
        ),
    ];
    let mut total = Report::default();
    for (name, flags) in variants {
        let start = Instant::now();
        let wasm = compile_c(&source, flags, &dir.join(format!("sample-{name}.wasm")));
        let compiled = start.elapsed();
        let start = Instant::now();
        let report = roundtrip(&wasm).unwrap_or_else(|s| panic!("{name}: skipped: {s:?}"));
        eprintln!(
            "clang {name}: {} bytes, {report:?}, compile {compiled:?}, round trip {:?}",
            wasm.len(),
            start.elapsed()
        );
        assert!(report.funcs > 20, "{name}: {report:?}");
        assert_eq!(report.compared, report.funcs, "{name}: {report:?}");
        total += report;
    }
    eprintln!("clang total: {total:?}");
}
