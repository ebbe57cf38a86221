//! Reading the input: WAT or binary bytes in, a walrus module plus the facts about the
//! original binary that walrus does not keep (which walrus id each original index became).

use crate::error::{Error, ErrorKind, Result, from_anyhow};
use std::sync::{Arc, Mutex};
use walrus::{
    DataId, ElementId, FunctionId, GlobalId, IndicesToIds, MemoryId, Module, ModuleConfig, TableId,
    TagId, TypeId,
};

/// The walrus id of every item of the original module, by original index.
#[derive(Clone, Debug, Default)]
pub struct OriginalIds {
    /// `types[i]` is the id of type `i` (walrus merges identical singleton types, so ids repeat).
    pub types: Vec<TypeId>,
    /// Functions, imports first.
    pub funcs: Vec<FunctionId>,
    /// Globals, imports first.
    pub globals: Vec<GlobalId>,
    /// Tables, imports first.
    pub tables: Vec<TableId>,
    /// Memories, imports first.
    pub memories: Vec<MemoryId>,
    /// Element segments.
    pub elems: Vec<ElementId>,
    /// Data segments.
    pub data: Vec<DataId>,
    /// Tags, imports first.
    pub tags: Vec<TagId>,
}

impl OriginalIds {
    fn from_walrus(ids: &IndicesToIds) -> OriginalIds {
        fn collect<T>(get: impl Fn(u32) -> walrus::Result<T>) -> Vec<T> {
            (0..).map_while(|i| get(i).ok()).collect()
        }
        OriginalIds {
            types: collect(|i| ids.get_type(i)),
            funcs: collect(|i| ids.get_func(i)),
            globals: collect(|i| ids.get_global(i)),
            tables: collect(|i| ids.get_table(i)),
            memories: collect(|i| ids.get_memory(i)),
            elems: collect(|i| ids.get_element(i)),
            data: collect(|i| ids.get_data(i)),
            tags: collect(|i| ids.get_tag(i)),
        }
    }
}

/// Turn the input into binary wasm: binary passes through, text is parsed as WAT.
pub fn to_binary(input: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    if input.starts_with(b"\0asm") {
        return Ok(input.into());
    }
    match wat::parse_bytes(input) {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let looks_binary = input.iter().take(64).any(|&b| b == 0);
            let msg = if looks_binary {
                "input is neither a WebAssembly binary (no `\\0asm` header) nor WAT text"
                    .to_string()
            } else {
                format!("failed to parse WAT: {e}")
            };
            Err(Error::parse(msg))
        }
    }
}

/// Parse a binary module with walrus, keeping names, and record the original index maps.
pub fn parse(wasm: &[u8]) -> Result<(Module, OriginalIds)> {
    let captured: Arc<Mutex<Option<OriginalIds>>> = Arc::default();
    let sink = captured.clone();
    let mut config = ModuleConfig::new();
    config
        .generate_producers_section(false)
        .on_parse(move |_, ids| {
            *sink.lock().unwrap() = Some(OriginalIds::from_walrus(ids));
            Ok(())
        });
    let module = config.parse(wasm).map_err(|e| {
        from_anyhow(ErrorKind::Parse, &e).context("input is not a valid WebAssembly module")
    })?;
    let ids = captured
        .lock()
        .unwrap()
        .take()
        .expect("walrus calls on_parse after a successful parse");
    Ok((module, ids))
}
