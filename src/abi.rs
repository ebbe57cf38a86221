//! The Asyncify ABI, exactly as Binaryen defines it. Nothing else in the crate spells these
//! names or numbers.
//!
//! A module we emit can be driven by any runtime written for Binaryen's output (Emscripten,
//! TinyGo, ruby.wasm, `asyncify-wasm`, hand-written JS), so every name, value and offset here
//! is part of a public contract.
//!
//! # State
//! `__asyncify_state` is a mutable `i32` global: [`STATE_NORMAL`], [`STATE_UNWINDING`] or
//! [`STATE_REWINDING`].
//!
//! # Data structure
//! `__asyncify_data` is a mutable pointer-sized global holding the address of
//! ```text
//! offset 0            pointer  pos  -- next free byte of the asyncify stack (grows up)
//! offset 4 (8 on 64)  pointer  end  -- one past the last usable byte
//! ```
//! set up by the host before `asyncify_start_unwind`.
//!
//! # Frames
//! Unwinding pushes, per instrumented function, innermost first, a frame; unoptimized (and
//! with `--epilogues shared`) Binaryen's
//! ```text
//! [i32 call index][saved locals, packed, 4-byte aligned]
//! ```
//! with the locals in a fixed order per function (parameters first). Optimized frames hold
//! less (see [`crate::passes::frame`]: only the locals, or a prefix of them and a 2- or
//! 4-byte word on top, so only 2-byte aligned). The layout is private to the module: hosts
//! only ever see `pos` move.
//! `i32`/`f32` take 4 bytes, `i64`/`f64` 8, `v128` 16, a reference 4 (the `i32` index of the
//! table slot holding it, `-1` for null; see [`crate::passes::ref_stack`]). Rewinding pops
//! them outermost first.
//!
//! # Where the globals and the stack live
//! By default both globals are defined (not exported) and the stack is in the module's only
//! memory, or the one exported as `memory`, or the one `--memory` names. `--import-globals`
//! imports the globals from [`GLOBALS_IMPORT_MODULE`] instead, `--export-globals` exports
//! them under their names, and `--in-secondary-memory` adds a memory of its own for the data
//! structure and the stack, exported as [`ADDED_MEMORY`].

/// Name of the state global.
pub const STATE_GLOBAL: &str = "__asyncify_state";
/// Name of the data-pointer global.
pub const DATA_GLOBAL: &str = "__asyncify_data";

/// Normal execution.
pub const STATE_NORMAL: i32 = 0;
/// Unwinding the stack: every instrumented function saves its frame and returns.
pub const STATE_UNWINDING: i32 = 1;
/// Rewinding the stack: every instrumented function restores its frame and skips forward.
pub const STATE_REWINDING: i32 = 2;

/// `asyncify_start_unwind(data: ptr)`
pub const START_UNWIND: &str = "asyncify_start_unwind";
/// `asyncify_stop_unwind()`
pub const STOP_UNWIND: &str = "asyncify_stop_unwind";
/// `asyncify_start_rewind(data: ptr)`
pub const START_REWIND: &str = "asyncify_start_rewind";
/// `asyncify_stop_rewind()`
pub const STOP_REWIND: &str = "asyncify_stop_rewind";
/// `asyncify_get_state() -> i32`
pub const GET_STATE: &str = "asyncify_get_state";

/// Export name of the memory asyncify adds (to a module that has none, or with
/// `--in-secondary-memory`).
pub const ADDED_MEMORY: &str = "asyncify_memory";

/// The import module of the in-module runtime API (`asyncify.start_unwind`, ...).
pub const IMPORT_MODULE: &str = "asyncify";

/// The five API functions, in the order they are appended to the module.
pub const API: [Api; 5] = [
    Api::StartUnwind,
    Api::StopUnwind,
    Api::StartRewind,
    Api::StopRewind,
    Api::GetState,
];

/// One of the five generated API functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    StartUnwind,
    StopUnwind,
    StartRewind,
    StopRewind,
    GetState,
}

impl Api {
    /// The exported (and name-section) name, e.g. `asyncify_start_unwind`.
    pub fn export_name(self) -> &'static str {
        match self {
            Api::StartUnwind => START_UNWIND,
            Api::StopUnwind => STOP_UNWIND,
            Api::StartRewind => START_REWIND,
            Api::StopRewind => STOP_REWIND,
            Api::GetState => GET_STATE,
        }
    }

    /// The field name under the `asyncify` import module, e.g. `start_unwind`.
    pub fn import_name(self) -> &'static str {
        &self.export_name()["asyncify_".len()..]
    }

    /// Find the API function an `asyncify.<name>` import refers to.
    pub fn from_import_name(name: &str) -> Option<Api> {
        API.into_iter().find(|api| api.import_name() == name)
    }

    /// Whether the function takes the data pointer.
    pub fn takes_data(self) -> bool {
        matches!(self, Api::StartUnwind | Api::StartRewind)
    }

    /// The state the function sets, if it sets one.
    pub fn sets_state(self) -> Option<i32> {
        match self {
            Api::StartUnwind => Some(STATE_UNWINDING),
            Api::StartRewind => Some(STATE_REWINDING),
            Api::StopUnwind | Api::StopRewind => Some(STATE_NORMAL),
            Api::GetState => None,
        }
    }
}

/// Width of pointers in the asyncify data structure, from the memory it lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerWidth {
    /// 32-bit memory: `i32` pointers, `end` at offset 4.
    W32,
    /// memory64: `i64` pointers, `end` at offset 8.
    W64,
}

impl PointerWidth {
    /// Bytes in a pointer.
    pub fn bytes(self) -> u32 {
        match self {
            PointerWidth::W32 => 4,
            PointerWidth::W64 => 8,
        }
    }

    /// The wasm type of a pointer.
    pub fn val_type(self) -> walrus::ValType {
        match self {
            PointerWidth::W32 => walrus::ValType::I32,
            PointerWidth::W64 => walrus::ValType::I64,
        }
    }

    /// Offset of the `pos` field in the data structure.
    pub fn pos_offset(self) -> u64 {
        0
    }

    /// Offset of the `end` field in the data structure.
    pub fn end_offset(self) -> u64 {
        u64::from(self.bytes())
    }
}

/// Size of the call index at the bottom of a fixed-size frame.
pub const CALL_INDEX_BYTES: u32 = 4;

/// A frame holding a prefix of its function's saved locals (see
/// [`crate::analysis::save_groups::prefixes`]) ends with a word holding its call index and
/// its bytes of locals (a multiple of 4), in one of two forms told apart by the lowest bit of
/// the 16 bits right below the frame's end:
///
/// - short, [`PREFIX_SHORT_WORD_BYTES`]: `index << 1 | (bytes / 4) << 9`
///   ([`PREFIX_SHORT_SIZE_SHIFT`]), when the index is at most [`PREFIX_SHORT_MAX_INDEX`] and
///   the bytes at most [`PREFIX_SHORT_MAX_BYTES`];
/// - long, [`PREFIX_LONG_WORD_BYTES`]: `index | 1 << 16 | (bytes / 4) << 17`
///   ([`PREFIX_LONG_FLAG`], [`PREFIX_LONG_SIZE_SHIFT`]).
///
/// So the frames, and what follows them on the stack, are only 2-byte aligned.
pub const PREFIX_SHORT_WORD_BYTES: u32 = 2;

/// The size of the long form of a prefix frame's word.
pub const PREFIX_LONG_WORD_BYTES: u32 = 4;

/// Where a short word holds its frame's bytes / 4 (the call index is at bit 1).
pub const PREFIX_SHORT_SIZE_SHIFT: u32 = 9;

/// The bit that marks a long word: bit 0 of its upper half, the two bytes below the frame's
/// end.
pub const PREFIX_LONG_FLAG: u32 = 1 << 16;

/// Where a long word holds its frame's bytes / 4 (the call index is in the low 16 bits).
pub const PREFIX_LONG_SIZE_SHIFT: u32 = 17;

/// The largest call index a short word holds.
pub const PREFIX_SHORT_MAX_INDEX: u32 = 0xff;

/// The most bytes of locals a short word holds.
pub const PREFIX_SHORT_MAX_BYTES: u32 = 0x7f * 4;

/// The largest call index a long word holds.
pub const PREFIX_MAX_INDEX: u32 = 0xffff;

/// The most bytes of locals a long word holds.
pub const PREFIX_MAX_BYTES: u32 = 0x7fff * 4;

/// The size of the word on top of a prefix frame with call index `index` and `bytes` bytes
/// of locals.
pub fn prefix_word_bytes(index: u32, bytes: u32) -> u32 {
    if index <= PREFIX_SHORT_MAX_INDEX && bytes <= PREFIX_SHORT_MAX_BYTES {
        PREFIX_SHORT_WORD_BYTES
    } else {
        PREFIX_LONG_WORD_BYTES
    }
}

/// Alignment (in bytes) of accesses to the asyncify stack in modules that may have prefix
/// frames (see [`PREFIX_SHORT_WORD_BYTES`]): every optimized module.
pub const PREFIX_STACK_ALIGN: u32 = 2;

/// Alignment (in bytes) used for every access to the asyncify stack; pointers given by the
/// host are assumed to be at least this aligned.
pub const STACK_ALIGN: u32 = 4;

/// Bytes a saved local of this type takes in a frame. A reference takes 4: the `i32` index
/// of the table slot holding it (see [`crate::passes::ref_stack`]), `-1` for null.
pub fn saved_size(ty: walrus::ValType) -> u32 {
    match ty {
        walrus::ValType::I32 | walrus::ValType::F32 => 4,
        walrus::ValType::I64 | walrus::ValType::F64 => 8,
        walrus::ValType::V128 => 16,
        walrus::ValType::Ref(_) => REF_SLOT_BYTES,
    }
}

/// Size of a saved reference's slot index in a frame.
pub const REF_SLOT_BYTES: u32 = 4;

/// The slot index saved for a null reference.
pub const NULL_SLOT: i32 = -1;

/// The import module of the two globals with `--import-globals` (Binaryen's
/// `asyncify-relocatable`); the field names, and the export names with `--export-globals`,
/// are [`STATE_GLOBAL`] and [`DATA_GLOBAL`].
pub const GLOBALS_IMPORT_MODULE: &str = "env";

/// Pages of the memory `--in-secondary-memory` adds when no size is given.
pub const DEFAULT_SECONDARY_MEMORY_PAGES: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_names_round_trip() {
        for api in API {
            assert_eq!(Api::from_import_name(api.import_name()), Some(api));
            assert!(api.export_name().starts_with("asyncify_"));
        }
        assert_eq!(Api::from_import_name("sleep"), None);
    }
}
