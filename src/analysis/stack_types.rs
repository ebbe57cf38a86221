//! The types on the operand stack at chosen points of a function, read off a validator.
//!
//! Moving a value that sits on the operand stack across a pause into a local needs the
//! value's type. Rather than re-deriving the typing rules of every instruction, we replay the
//! original function body through wasmparser's validator (which tracks the operand stack
//! exactly) and snapshot the stack at the offsets walrus recorded for the instructions we
//! care about (walrus keeps each parsed instruction's byte offset as its `InstrLocId`).

use crate::error::{Error, Result};
use crate::ir::IdMap;
use walrus::{AbstractHeapType, HeapType, RefType, TypeId, ValType};
use wasmparser::{
    FuncToValidate, FunctionBody, Parser, Payload, ValidPayload, Validator, ValidatorResources,
    WasmFeatures,
};

/// One function's body, taken out of a [`StackTypeOracle`].
pub struct Body<'a> {
    func: FuncToValidate<ValidatorResources>,
    body: FunctionBody<'a>,
    /// How far offsets asked about are from offsets in `body` (see
    /// [`StackTypeOracle::shift_offsets`]).
    shift: isize,
}

impl Body<'_> {
    /// Size of the body in bytes.
    pub fn size(&self) -> usize {
        self.body.range().len()
    }
}

/// Module-level validation state plus the bodies of the functions we may ask about.
pub struct StackTypeOracle<'a> {
    bodies: IdMap<u32, (FuncToValidate<ValidatorResources>, FunctionBody<'a>)>,
    types: &'a [TypeId],
    /// The validator reports concrete types by canonical id: the module index of each.
    canonical: std::collections::HashMap<wasmparser::types::CoreTypeId, u32>,
    /// Offsets asked about are in a copy of the module whose defined function `i` starts
    /// `shifts.1[i]` bytes before it does in `wasm` (`shifts.0` functions are imported).
    shifts: Option<(usize, Vec<isize>)>,
}

impl<'a> StackTypeOracle<'a> {
    /// Validate the module-level parts of `wasm` and keep the bodies of the functions whose
    /// input index satisfies `wanted`. `types` maps type indices to walrus ids.
    pub fn new(
        wasm: &'a [u8],
        types: &'a [TypeId],
        wanted: impl Fn(u32) -> bool,
    ) -> Result<StackTypeOracle<'a>> {
        let mut validator = Validator::new_with_features(WasmFeatures::all());
        let mut bodies = IdMap::default();
        let mut canonical = std::collections::HashMap::new();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| Error::parse(e.to_string()))?;
            let valid = validator
                .payload(&payload)
                .map_err(|e| Error::parse(e.to_string()))?;
            if let (Payload::CodeSectionStart { .. }, Some(types)) = (&payload, validator.types(0))
            {
                for i in 0..types.core_type_count_in_module() {
                    canonical
                        .entry(types.core_type_at_in_module(i))
                        .or_insert(i);
                }
            }
            match valid {
                ValidPayload::Func(func, body) if wanted(func.index) => {
                    bodies.insert(func.index, (func, body));
                }
                ValidPayload::End(_) => break,
                _ => {}
            }
            if let Payload::End(_) = payload {
                break;
            }
        }
        Ok(StackTypeOracle {
            bodies,
            types,
            canonical,
            shifts: None,
        })
    }

    /// Take offsets from now on in a copy of the module where the body of defined function
    /// `i` (after `imported` imported ones) starts `shifts[i]` bytes earlier than here.
    pub fn shift_offsets(&mut self, imported: usize, shifts: Vec<isize>) {
        self.shifts = Some((imported, shifts));
    }

    /// Size in bytes of the kept body of the function at input index `func_index`.
    pub fn body_size(&self, func_index: u32) -> Option<usize> {
        self.bodies
            .get(&func_index)
            .map(|(_, body)| body.range().len())
    }

    /// Take out the body of the function at input index `func_index`, to replay with
    /// [`StackTypeOracle::frame_stacks`] (which can run on any thread).
    pub fn take(&mut self, func_index: u32) -> Result<Body<'a>> {
        let (func, body) = self
            .bodies
            .remove(&func_index)
            .ok_or_else(|| Error::internal(format!("no body kept for function {func_index}")))?;
        let shift = match &self.shifts {
            Some((imported, shifts)) => (func_index as usize)
                .checked_sub(*imported)
                .and_then(|i| shifts.get(i).copied())
                .ok_or_else(|| Error::internal(format!("no offset shift for {func_index}")))?,
            None => 0,
        };
        Ok(Body { func, body, shift })
    }

    /// For the function whose body is `body`, the operand-stack types of the innermost
    /// control frame just before the instruction at each byte offset in `offsets` (bottom of
    /// the frame first).
    pub fn frame_stacks(
        &self,
        body: Body<'a>,
        offsets: &[u32],
    ) -> Result<IdMap<u32, Vec<ValType>>> {
        let Body { func, body, shift } = body;
        // (offset in the input, offset asked about)
        let mut wanted: Vec<(u32, u32)> = offsets
            .iter()
            .map(|&o| ((o as isize + shift) as u32, o))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut out = IdMap::with_capacity_and_hasher(wanted.len(), Default::default());
        let mut next = 0;

        let mut validator = func.into_validator(Default::default());
        let err = |e: wasmparser::BinaryReaderError| Error::parse(e.to_string());
        let mut locals = body.get_locals_reader().map_err(err)?;
        for _ in 0..locals.get_count() {
            let offset = locals.original_position();
            let (count, ty) = locals.read().map_err(err)?;
            validator.define_locals(offset, count, ty).map_err(err)?;
        }
        let mut ops = body.get_operators_reader().map_err(err)?;
        while !ops.eof() && next < wanted.len() {
            let offset = ops.original_position();
            let op = ops.read().map_err(err)?;
            while next < wanted.len() && (wanted[next].0 as usize) < offset {
                next += 1; // an offset that is not an instruction boundary: nothing to report
            }
            if next < wanted.len() && wanted[next].0 as usize == offset {
                let frame_height = validator.get_control_frame(0).map_or(0, |f| f.height);
                let height = validator.operand_stack_height() as usize;
                let mut stack = Vec::with_capacity(height - frame_height);
                for depth in (0..height - frame_height).rev() {
                    let ty = validator
                        .get_operand_type(depth)
                        .flatten()
                        .ok_or_else(|| Error::internal("unknown operand type at a pause point"))?;
                    stack.push(self.convert(ty)?);
                }
                out.insert(wanted[next].1, stack);
                next += 1;
            }
            validator.op(offset, &op).map_err(err)?;
        }
        Ok(out)
    }

    fn convert(&self, ty: wasmparser::ValType) -> Result<ValType> {
        Ok(match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::V128 => ValType::V128,
            wasmparser::ValType::Ref(r) => ValType::Ref(self.convert_ref(r)?),
        })
    }

    fn convert_ref(&self, r: wasmparser::RefType) -> Result<RefType> {
        use wasmparser::AbstractHeapType as A;
        let heap_type = match r.heap_type() {
            wasmparser::HeapType::Abstract { shared: false, ty } => HeapType::Abstract(match ty {
                A::Func => AbstractHeapType::Func,
                A::Extern => AbstractHeapType::Extern,
                A::Any => AbstractHeapType::Any,
                A::None => AbstractHeapType::None,
                A::NoExtern => AbstractHeapType::NoExtern,
                A::NoFunc => AbstractHeapType::NoFunc,
                A::Eq => AbstractHeapType::Eq,
                A::Struct => AbstractHeapType::Struct,
                A::Array => AbstractHeapType::Array,
                A::I31 => AbstractHeapType::I31,
                A::Exn => AbstractHeapType::Exn,
                A::NoExn => AbstractHeapType::NoExn,
                other => {
                    return Err(Error::unsupported(format!(
                        "reference type `{other:?}` on the operand stack at a pause point is not \
                         supported"
                    )));
                }
            }),
            wasmparser::HeapType::Concrete(idx) | wasmparser::HeapType::Exact(idx) => {
                let index = idx
                    .as_module_index()
                    .or_else(|| {
                        let id = idx.as_core_type_id()?;
                        self.canonical.get(&id).copied()
                    })
                    .ok_or_else(|| {
                        Error::unsupported("rec-group-relative type references are not supported")
                    })?;
                HeapType::Concrete(self.types[index as usize])
            }
            other => {
                return Err(Error::unsupported(format!(
                    "heap type `{other:?}` at a pause point is not supported"
                )));
            }
        };
        Ok(RefType {
            nullable: r.is_nullable(),
            heap_type,
        })
    }
}
